package deepgram

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/providers/provider"
	"github.com/switchboard-voice/switchboard/providers/stt"
)

// Defaults for Config fields left empty.
const (
	DefaultBaseURL         = "wss://api.deepgram.com"
	DefaultModel           = "nova-2"
	DefaultFinalizeTimeout = 3 * time.Second
	DefaultWriteTimeout    = 5 * time.Second
	Name                   = "deepgram"
	// maxMessage bounds one result frame.
	maxMessage = 1 << 20
)

// Config configures a Client.
type Config struct {
	// BaseURL is the ws:// or wss:// root; https:// and http:// are
	// accepted and translated.
	BaseURL string
	APIKey  string
	Model   string
	// FinalizeTimeout bounds how long Finalize waits for the flushed
	// result before returning what it has.
	FinalizeTimeout time.Duration
	// WriteTimeout bounds one audio frame's send, so a stalled connection
	// cannot block the audio loop for long.
	WriteTimeout time.Duration
	// Dialer defaults to a websocket.Dialer with a 10 s handshake timeout.
	Dialer *websocket.Dialer
	// Logger receives debug logs; nil logs nothing.
	Logger *slog.Logger
}

// Client is an stt.Streamer over Deepgram's streaming API. It is safe for
// concurrent use.
type Client struct {
	cfg Config
}

var _ stt.Streamer = (*Client)(nil)

// New returns a Client, filling defaults into cfg.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if s, ok := strings.CutPrefix(cfg.BaseURL, "https://"); ok {
		cfg.BaseURL = "wss://" + s
	} else if s, ok := strings.CutPrefix(cfg.BaseURL, "http://"); ok {
		cfg.BaseURL = "ws://" + s
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.FinalizeTimeout <= 0 {
		cfg.FinalizeTimeout = DefaultFinalizeTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.Dialer == nil {
		cfg.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg}
}

// NewStream implements stt.Streamer: it opens the WebSocket and starts the
// stream's reader.
func (c *Client) NewStream(ctx context.Context, cfg stt.Config) (stt.Stream, error) {
	if cfg.SampleRate < 8000 || cfg.SampleRate > 48000 {
		return nil, fmt.Errorf("%w: %d Hz", stt.ErrUnsupportedRate, cfg.SampleRate)
	}
	q := url.Values{}
	q.Set("encoding", "linear16")
	q.Set("sample_rate", strconv.Itoa(cfg.SampleRate))
	q.Set("channels", "1")
	q.Set("interim_results", "true")
	q.Set("punctuate", "true")
	q.Set("model", c.cfg.Model)
	if cfg.Language != "" {
		q.Set("language", cfg.Language)
	}
	hdr := http.Header{}
	hdr.Set("Authorization", "Token "+c.cfg.APIKey)
	conn, resp, err := c.cfg.Dialer.DialContext(ctx, c.cfg.BaseURL+"/v1/listen?"+q.Encode(), hdr)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			defer resp.Body.Close()
			return nil, provider.FromResponse(Name, resp, c.cfg.APIKey)
		}
		return nil, provider.FromTransport(ctx, Name, err, c.cfg.APIKey)
	}
	conn.SetReadLimit(maxMessage)
	s := &stream{
		c:    c,
		conn: conn,
		done: make(chan struct{}),
	}
	// Cancelling ctx closes the socket, which ends the reader; no goroutine
	// waits on ctx in the meantime.
	s.stopCtx = context.AfterFunc(ctx, func() { s.shut(context.Cause(ctx)) })
	go s.read()
	return s, nil
}

type stream struct {
	c       *Client
	conn    *websocket.Conn
	done    chan struct{} // closed when read returns
	stopCtx func() bool

	wmu sync.Mutex // serialises writes to conn (one writer at a time)
	buf []byte     // audio frame scratch, guarded by wmu

	mu       sync.Mutex // guards the fields below
	segments []result   // is_final segments of the current utterance
	interim  result     // latest non-final hypothesis
	changed  bool       // interim or segments changed since Partial
	audio    bool       // audio written since the last Finalize
	waiter   chan struct{}
	err      error // why the connection ended; set once
	closed   bool
}

// read is the stream's reader goroutine; it ends when the connection does.
func (s *stream) read() {
	defer close(s.done)
	for {
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			s.fail(provider.Errorf(Name, []string{s.c.cfg.APIKey}, "connection closed: %v", readErr(err)))
			return
		}
		if typ != websocket.TextMessage {
			continue
		}
		r, ok, err := parse(data)
		if err != nil {
			s.fail(provider.Errorf(Name, []string{s.c.cfg.APIKey}, "%v", err))
			s.conn.Close()
			return
		}
		if ok {
			s.handle(r)
		}
	}
}

// readErr keeps the close code and reason, dropping websocket's wrapping.
func readErr(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Sprintf("close %d %s", ce.Code, ce.Text)
	}
	return err.Error()
}

func (s *stream) handle(r result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.final {
		if r.text != "" {
			s.segments = append(s.segments, r)
		}
		s.interim = result{}
	} else {
		s.interim = r
	}
	s.changed = true
	if r.final && r.fromFinalize && s.waiter != nil {
		close(s.waiter)
		s.waiter = nil
	}
}

// fail records why the connection ended and wakes a waiting Finalize.
func (s *stream) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
	if s.waiter != nil {
		close(s.waiter)
		s.waiter = nil
	}
}

func (s *stream) Write(pcm []int16) error {
	if err := s.state(); err != nil {
		return err
	}
	if len(pcm) == 0 {
		return nil
	}
	s.wmu.Lock()
	s.buf = s.buf[:0]
	for _, v := range pcm {
		s.buf = binary.LittleEndian.AppendUint16(s.buf, uint16(v))
	}
	err := s.send(websocket.BinaryMessage, s.buf)
	s.wmu.Unlock()
	if err != nil {
		return s.writeErr(err)
	}
	s.mu.Lock()
	s.audio = true
	s.mu.Unlock()
	return nil
}

// send writes one message; callers hold wmu.
func (s *stream) send(typ int, data []byte) error {
	s.conn.SetWriteDeadline(time.Now().Add(s.c.cfg.WriteTimeout))
	return s.conn.WriteMessage(typ, data)
}

// writeErr reports a failed send. A failed send means the connection is
// gone; the reader knows why (a close frame's code and reason), so wait for
// it to record that rather than report the less telling write error.
func (s *stream) writeErr(err error) error {
	s.conn.Close()
	<-s.done
	if serr := s.state(); serr != nil {
		return serr
	}
	return provider.Errorf(Name, []string{s.c.cfg.APIKey}, "send failed: %v", err)
}

// state returns ErrClosed after Close, the connection's error after it
// ended, or nil.
func (s *stream) state() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.ErrClosed
	}
	return s.err
}

func (s *stream) Partial() (stt.Result, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.changed || s.closed {
		return stt.Result{}, false
	}
	s.changed = false
	return s.joined(s.interim, false), true
}

// joined returns the utterance so far plus tail; callers hold mu.
func (s *stream) joined(tail result, final bool) stt.Result {
	var res stt.Result
	var texts []string
	for _, seg := range append(s.segments, tail) {
		if seg.text != "" {
			texts = append(texts, seg.text)
		}
		res.Words = append(res.Words, seg.words...)
	}
	res.Text = strings.Join(texts, " ")
	res.Final = final
	return res
}

func (s *stream) Finalize() (stt.Result, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return stt.Result{}, stt.ErrClosed
	}
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return stt.Result{}, err
	}
	var wait chan struct{}
	if s.audio {
		// Only ask for a flush when there is audio to flush: Deepgram
		// answers a Finalize on an empty buffer with nothing at all.
		wait = make(chan struct{})
		s.waiter = wait
		s.audio = false
	}
	s.mu.Unlock()

	if wait != nil {
		s.wmu.Lock()
		err := s.send(websocket.TextMessage, []byte(`{"type":"Finalize"}`))
		s.wmu.Unlock()
		if err != nil {
			return stt.Result{}, s.writeErr(err)
		}
		t := time.NewTimer(s.c.cfg.FinalizeTimeout)
		select {
		case <-wait:
		case <-t.C:
			s.c.cfg.Logger.Debug("stt_finalize_timeout", "provider", Name)
		}
		t.Stop()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.Result{}, stt.ErrClosed
	}
	if s.waiter == wait {
		s.waiter = nil
	}
	if s.err != nil && len(s.segments) == 0 && s.interim.text == "" {
		return stt.Result{}, s.err
	}
	res := s.joined(s.interim, true)
	s.segments, s.interim, s.changed = nil, result{}, false
	return res, nil
}

// Close ends the session politely (CloseStream), closes the socket and
// waits for the reader to return.
func (s *stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.waiter != nil {
		close(s.waiter)
		s.waiter = nil
	}
	s.mu.Unlock()
	s.stopCtx()
	s.wmu.Lock()
	s.send(websocket.TextMessage, []byte(`{"type":"CloseStream"}`)) // best effort
	s.wmu.Unlock()
	s.shut(nil)
	<-s.done
	return nil
}

// shut closes the socket; the reader then fails its read and returns.
func (s *stream) shut(cause error) {
	if cause != nil {
		s.fail(cause)
	}
	s.conn.Close()
}
