package rest

import (
	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/actors/agent"
	"github.com/switchboard-voice/switchboard/actors/collection"
	"github.com/switchboard-voice/switchboard/actors/instance"
	"github.com/switchboard-voice/switchboard/actors/tool"
	"github.com/switchboard-voice/switchboard/resource"
)

func (s *Server) createAgent(c *call) (int, any, error) {
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	spec := resource.DefaultAgentSpec()
	if p := resource.DecodeValid(body, &spec); p != nil {
		return 0, nil, p
	}
	a, err := ask[*resource.Agent](s, s.sys.Agents, &agent.Create{OrgID: c.who.OrgID, Spec: spec})
	return fasthttp.StatusCreated, a, err
}

func (s *Server) listAgents(c *call) (int, any, error) {
	pg, p := pageParams(c.ctx, resource.PrefixAgent)
	if p != nil {
		return 0, nil, p
	}
	res, err := ask[*agent.ListResult](s, s.sys.Agents, &agent.List{OrgID: c.who.OrgID, After: pg.After, Limit: pg.Limit})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, newList(res.Items, res.Next, res.HasMore), nil
}

func (s *Server) getAgent(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixAgent, "agent")
	if p != nil {
		return 0, nil, p
	}
	a, err := ask[*resource.Agent](s, s.sys.Agents, &agent.Get{OrgID: c.who.OrgID, ID: id})
	return fasthttp.StatusOK, a, err
}

func (s *Server) updateAgent(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixAgent, "agent")
	if p != nil {
		return 0, nil, p
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	a, err := ask[*resource.Agent](s, s.sys.Agents, &agent.Update{OrgID: c.who.OrgID, ID: id, Patch: body})
	return fasthttp.StatusOK, a, err
}

func (s *Server) deleteAgent(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixAgent, "agent")
	if p != nil {
		return 0, nil, p
	}
	// Instances first: a deleted agent's phone numbers must be free again,
	// and its tools go with it. Each step is idempotent, so a delete that
	// failed half way can simply be repeated.
	if _, err := ask[*instance.Deleted](s, s.sys.Instances, &instance.DeleteAll{OrgID: c.who.OrgID, AgentID: id}); err != nil {
		return 0, nil, err
	}
	if _, err := ask[*tool.Deleted](s, s.sys.Tools, &tool.DeleteAll{OrgID: c.who.OrgID, AgentID: id}); err != nil {
		return 0, nil, err
	}
	_, err := ask[*agent.Deleted](s, s.sys.Agents, &agent.Delete{OrgID: c.who.OrgID, ID: id})
	return fasthttp.StatusNoContent, nil, err
}

// provisionInput is the body of POST /v1/agents/provision.
type provisionInput struct {
	Agent      resource.AgentSpec       `json:"agent"`
	Collection *resource.CollectionSpec `json:"collection"`
}

// Validate checks the agent and the collection together.
func (in *provisionInput) Validate() *resource.Problem {
	var errs []resource.FieldError
	if p := in.Agent.Validate(); p != nil {
		for _, d := range p.Details {
			d.Field = "agent." + d.Field
			errs = append(errs, d)
		}
	}
	if in.Collection != nil {
		errs = append(errs, in.Collection.Validate("collection")...)
	}
	if len(errs) > 0 {
		return resource.Invalid(errs...)
	}
	return nil
}

type provisionedBody struct {
	Agent      *resource.Agent      `json:"agent"`
	Collection *resource.Collection `json:"collection"`
}

func (s *Server) provisionAgent(c *call) (int, any, error) {
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	in := provisionInput{Agent: resource.DefaultAgentSpec()}
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	res, err := ask[*agent.Provisioned](s, s.sys.Agents, &agent.Provision{OrgID: c.who.OrgID, Agent: in.Agent, Collection: in.Collection})
	if err != nil {
		return 0, nil, err
	}
	if res.Collection != nil {
		// Activating the collection starts indexing its documents now,
		// not at the first question a caller asks.
		s.sys.Root().Send(s.sys.Collections, &collection.Get{OrgID: c.who.OrgID, ID: res.Collection.ID})
	}
	return fasthttp.StatusCreated, provisionedBody{Agent: res.Agent, Collection: res.Collection}, nil
}
