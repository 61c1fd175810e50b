// Package metrics holds Switchboard's Prometheus instruments on an explicit
// registry (no global default), with low-cardinality labels only: never a
// call or session ID. prometheus/client_golang is the standard client and
// its text format is what every scraper reads.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the node's instruments.
type Metrics struct {
	Registry *prometheus.Registry

	SessionsActive *prometheus.GaugeVec // by transport
	SessionsTotal  *prometheus.CounterVec
	FramesSent     prometheus.Counter
	FramesLate     prometheus.Counter
	TurnLatency    prometheus.Histogram
	Interruptions  *prometheus.CounterVec // by outcome: interrupted, false, backchannel
	InboundFrames  prometheus.Counter
	InboundDropped prometheus.Counter
}

// LateThreshold is how long after its play time a frame sent just in time
// may leave: one frame period, the far end's jitter buffer. A frame sent
// with a lead (media.OutboundConfig.Lead) has that lead as its buffer, so
// it is late past LateThreshold minus the lead, and never less than zero.
const LateThreshold = 20 * time.Millisecond

// New registers the instruments and the Go runtime and process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		SessionsActive: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_voice_sessions_active", Help: "Live voice sessions.",
		}, []string{"transport"}),
		SessionsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_voice_sessions_total", Help: "Voice sessions started.",
		}, []string{"transport"}),
		FramesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_outbound_frames_total", Help: "Agent audio frames sent to callers.",
		}),
		FramesLate: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_outbound_late_frames_total", Help: "Agent audio frames that left after the far end had played all it held (see LateThreshold).",
		}),
		TurnLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_turn_latency_seconds",
			Help:    "From the caller's last voiced frame to the first agent audio frame sent.",
			Buckets: []float64{.05, .1, .15, .2, .25, .3, .4, .5, .75, 1, 2, 5},
		}),
		Interruptions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_interruptions_total", Help: "Caller speech while the agent spoke, by outcome.",
		}, []string{"outcome"}),
		InboundFrames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_inbound_frames_total", Help: "Caller audio frames processed.",
		}),
		InboundDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_inbound_messages_dropped_total", Help: "Malformed or unusable inbound media messages dropped.",
		}),
	}
	r.MustRegister(m.SessionsActive, m.SessionsTotal, m.FramesSent, m.FramesLate, m.TurnLatency,
		m.Interruptions, m.InboundFrames, m.InboundDropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
