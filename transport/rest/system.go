package rest

import (
	"github.com/valyala/fasthttp"

	"github.com/switchboard-voice/switchboard/resource"
)

type healthBody struct {
	Status string `json:"status"`
}

func (s *Server) health(*call) (int, any, error) {
	return fasthttp.StatusOK, healthBody{Status: "ok"}, nil
}

// readiness is 200 only once storage and actors are up, and turns 503 as
// soon as shutdown begins so load balancers stop sending traffic.
func (s *Server) readiness(*call) (int, any, error) {
	if !s.ready.Load() {
		return 0, nil, &resource.Problem{Code: resource.CodeInternal, Message: "not ready", Status: fasthttp.StatusServiceUnavailable}
	}
	return fasthttp.StatusOK, healthBody{Status: "ready"}, nil
}

type endpoint struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Summary string `json:"summary"`
}

type indexBody struct {
	Name      string     `json:"name"`
	Version   string     `json:"version"`
	Endpoints []endpoint `json:"endpoints"`
}

func (s *Server) index(*call) (int, any, error) {
	b := indexBody{Name: "switchboard", Version: s.cfg.Version, Endpoints: make([]endpoint, len(s.routes))}
	for i, r := range s.routes {
		b.Endpoints[i] = endpoint{Method: r.Method, Path: r.Path, Summary: r.Summary}
	}
	return fasthttp.StatusOK, b, nil
}
