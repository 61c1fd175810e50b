package opus

import "sync"

// EncoderPool keeps idle encoders of one configuration so that sessions reuse
// libopus state (tens of kilobytes each) instead of allocating it per call.
// It is safe for concurrent use. The pool may drop idle encoders at any
// garbage collection; their memory is Go-managed, so nothing leaks.
type EncoderPool struct {
	cfg  Config
	pool sync.Pool
}

// NewEncoderPool returns a pool of encoders configured by cfg.
func NewEncoderPool(cfg Config) (*EncoderPool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &EncoderPool{cfg: cfg.withDefaults()}, nil
}

// Get returns an encoder in its initial state.
func (p *EncoderPool) Get() (*Encoder, error) {
	if e, ok := p.pool.Get().(*Encoder); ok {
		return e, nil
	}
	return NewEncoder(p.cfg)
}

// Put resets e and makes it available to Get. An encoder that cannot be reset,
// or that belongs to another configuration, is dropped.
func (p *EncoderPool) Put(e *Encoder) {
	if e == nil || e.cfg != p.cfg || e.Reset() != nil {
		return
	}
	p.pool.Put(e)
}
