package rest

import (
	"bytes"

	"github.com/prometheus/common/expfmt"
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

// metrics renders the node's Prometheus instruments in the text format.
func (s *Server) metrics(*call) (int, any, error) {
	if s.metricsReg == nil {
		return 0, nil, resource.NotFound("metrics")
	}
	families, err := s.metricsReg.Gather()
	if err != nil {
		return 0, nil, err
	}
	var buf bytes.Buffer
	format := expfmt.FmtText
	enc := expfmt.NewEncoder(&buf, format)
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return 0, nil, err
		}
	}
	return fasthttp.StatusOK, rawBody{ContentType: string(format), Body: buf.Bytes()}, nil
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
