package rest

import (
	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/actors/keyring"
	"github.com/switchboard-voice/switchboard/resource"
)

func (s *Server) createKey(c *call) (int, any, error) {
	body, p := jsonBody(c.ctx)
	if p != nil {
		return 0, nil, p
	}
	var spec resource.KeySpec
	if len(body) == 0 {
		body = []byte("{}") // a key needs nothing but may be named
	}
	if p := resource.DecodeValid(body, &spec); p != nil {
		return 0, nil, p
	}
	k, err := ask[*resource.KeyWithSecret](s, s.sys.Keyring, &keyring.CreateKey{OrgID: c.who.OrgID, Spec: spec})
	return fasthttp.StatusCreated, k, err
}

func (s *Server) listKeys(c *call) (int, any, error) {
	pg, p := pageParams(c.ctx, resource.PrefixKey)
	if p != nil {
		return 0, nil, p
	}
	res, err := ask[*keyring.KeyList](s, s.sys.Keyring, &keyring.ListKeys{OrgID: c.who.OrgID, After: pg.After, Limit: pg.Limit})
	if err != nil {
		return 0, nil, err
	}
	return fasthttp.StatusOK, newList(res.Items, res.Next, res.HasMore), nil
}

func (s *Server) revokeKey(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixKey, "key")
	if p != nil {
		return 0, nil, p
	}
	_, err := ask[*keyring.Revoked](s, s.sys.Keyring, &keyring.RevokeKey{OrgID: c.who.OrgID, ID: id})
	return fasthttp.StatusNoContent, nil, err
}

func (s *Server) rotateKey(c *call) (int, any, error) {
	id, p := pathID(c.ctx, "id", resource.PrefixKey, "key")
	if p != nil {
		return 0, nil, p
	}
	k, err := ask[*resource.KeyWithSecret](s, s.sys.Keyring, &keyring.RotateKey{OrgID: c.who.OrgID, ID: id})
	return fasthttp.StatusOK, k, err
}
