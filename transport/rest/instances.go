package rest

import (
	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/actors/instance"
	"github.com/switchboard-voice/switchboard/resource"
)

func instanceRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/agents/{id}/instances", Summary: "Create an instance of an agent (a deployment with its own phone number)", Tag: "Instances",
			Request: "InstanceInput", Responses: map[int]string{201: "Instance"}, Handle: (*Server).createInstance},
		{Method: "GET", Path: "/v1/agents/{id}/instances", Summary: "List an agent's instances", Tag: "Instances",
			ListOf: "Instance", Handle: (*Server).listInstances},
		{Method: "GET", Path: "/v1/agents/{id}/instances/{instanceId}", Summary: "Get an instance", Tag: "Instances",
			Responses: map[int]string{200: "Instance"}, Handle: (*Server).getInstance},
		{Method: "PUT", Path: "/v1/agents/{id}/instances/{instanceId}", Summary: "Update an instance (fields present replace stored ones)", Tag: "Instances",
			Request: "InstanceUpdate", Responses: map[int]string{200: "Instance"}, Handle: (*Server).updateInstance},
		{Method: "DELETE", Path: "/v1/agents/{id}/instances/{instanceId}", Summary: "Delete an instance and release its number", Tag: "Instances",
			Responses: map[int]string{204: ""}, Handle: (*Server).deleteInstance},
	}
}

func (s *Server) createInstance(c *call) (int, any, error) {
	agentID, err := s.pathAgent(c)
	if err != nil {
		return 0, nil, err
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var in instance.Spec
	if p := resource.DecodeValid(body, &in); p != nil {
		return 0, nil, p
	}
	inst, err := ask[*instance.Instance](s, s.sys.Instances, &instance.Create{OrgID: c.who.OrgID, AgentID: agentID, Spec: in})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusCreated, inst, nil
}

func (s *Server) listInstances(c *call) (int, any, error) {
	agentID, err := s.pathAgent(c)
	if err != nil {
		return 0, nil, err
	}
	pg, p := pageParams(c.ctx, resource.PrefixInstance)
	if p != nil {
		return 0, nil, p
	}
	res, err := ask[*instance.ListResult](s, s.sys.Instances, &instance.List{OrgID: c.who.OrgID, AgentID: agentID, After: pg.After, Limit: pg.Limit})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, newList(res.Items, res.Next, res.HasMore), nil
}

func (s *Server) getInstance(c *call) (int, any, error) {
	agentID, id, err := s.childPath(c, "instanceId", resource.PrefixInstance, "instance")
	if err != nil {
		return 0, nil, err
	}
	inst, err := ask[*instance.Instance](s, s.sys.Instances, &instance.Get{OrgID: c.who.OrgID, AgentID: agentID, ID: id})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, inst, nil
}

func (s *Server) updateInstance(c *call) (int, any, error) {
	agentID, id, err := s.childPath(c, "instanceId", resource.PrefixInstance, "instance")
	if err != nil {
		return 0, nil, err
	}
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	inst, err := ask[*instance.Instance](s, s.sys.Instances, &instance.Update{OrgID: c.who.OrgID, AgentID: agentID, ID: id, Patch: body})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, inst, nil
}

func (s *Server) deleteInstance(c *call) (int, any, error) {
	agentID, id, err := s.childPath(c, "instanceId", resource.PrefixInstance, "instance")
	if err != nil {
		return 0, nil, err
	}
	_, err = ask[*instance.Deleted](s, s.sys.Instances, &instance.Delete{OrgID: c.who.OrgID, AgentID: agentID, ID: id})
	return fasthttp.StatusNoContent, nil, err
}
