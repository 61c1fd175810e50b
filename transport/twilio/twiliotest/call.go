package twiliotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/providers/tts"
	"github.com/switchboard-voice/switchboard/transport/twilio"
)

// Errors returned by a Call; test with errors.Is.
var (
	// ErrWebhook means the voice webhook did not answer 2xx with TwiML.
	ErrWebhook = errors.New("twiliotest: voice webhook failed")
	// ErrNoStream means the TwiML holds no <Connect><Stream>, for example
	// because the server refused the call with <Say> and <Hangup>.
	ErrNoStream = errors.New("twiliotest: TwiML does not connect a stream")
	// ErrCallEnded means the media stream is closed: the server hung up,
	// the socket failed, or the Call was hung up or closed.
	ErrCallEnded = errors.New("twiliotest: call ended")
	// ErrProtocol describes a message from the server that breaks the
	// Media Streams protocol; see Call.ProtocolErrors.
	ErrProtocol = errors.New("twiliotest: protocol violation")
)

// WebhookPath is the path of Switchboard's Twilio voice webhook.
const WebhookPath = "/v1/sessions/twilio"

// DefaultVoicedRMS is the default Options.VoicedRMS: flite's own boundary
// between pause noise and speech (of 32767).
const DefaultVoicedRMS = 100

// writeTimeout bounds one WebSocket write (give or take a second; see
// writeLocked), so a server that stops reading ends the call instead of
// hanging it.
const writeTimeout = 5 * time.Second

// Options describe the call to place. BaseURL is required.
type Options struct {
	// BaseURL is where the Switchboard server listens, such as
	// "http://127.0.0.1:8080". The webhook is POSTed to BaseURL +
	// WebhookPath.
	BaseURL string
	// AgentID and InstanceID, when set, are passed as the webhook's
	// agentId and instanceId query parameters; a server that routes by
	// the called number needs only To.
	AgentID    string
	InstanceID string
	// To is the called number and From the caller's, E.164
	// (defaults +15005550006 and +15005550001).
	To, From string
	// AuthToken, when set, signs the webhook and the WebSocket upgrade
	// with X-Twilio-Signature as Twilio does.
	AuthToken string
	// AccountSID, CallSID and StreamSID identify the call; random
	// Twilio-shaped SIDs (AC…, CA…, MZ…) are generated for empty ones.
	AccountSID, CallSID, StreamSID string
	// HTTP posts the webhook; nil means a client with a 10 s timeout.
	HTTP *http.Client
	// TTS speaks Say's text; nil means the embedded flite engine, created
	// on the first Say. Its audio is resampled to 8 kHz whatever its rate.
	TTS tts.Synthesizer
	// VoicedRMS is the frame RMS (of 32767) above which a caller frame
	// counts as speech for the latency measurement, and an agent frame as
	// audible; 0 means DefaultVoicedRMS.
	VoicedRMS float64
	// NoRecording keeps no audio: Recording returns nothing and utterances
	// carry no PCM8k, while every time and count is still measured. Load
	// generators set it so that thousands of calls fit in one process.
	NoRecording bool
}

// Call is one simulated call on a live media stream. Its methods are safe
// for concurrent use, except that WaitForAgent must not be called from two
// goroutines at once (each call consumes the next utterance).
type Call struct {
	// AccountSID, CallSID and StreamSID are the SIDs the call was placed
	// with.
	AccountSID, CallSID, StreamSID string
	// StreamURL is the <Stream> URL from the TwiML, as Twilio would dial
	// it, and Parameters its <Parameter>s.
	StreamURL  string
	Parameters map[string]string

	// The line: the caller's side of the phone line, which the line
	// clock ticks every 20 ms (send.go, line.go). smu guards offLine, cur
	// and pos; a tick holds it throughout, and it is taken before wmu.
	// What a tick touches is kept together: with a thousand calls in a
	// process, a call's memory is out of the CPU's caches by its next tick.
	smu      sync.Mutex
	offLine  bool         // the call has left the line: senderDone is closed
	cur      *speech      // speech being sent
	pos      int          // next frame of cur
	stopping atomic.Bool  // quit or done is closed: the line is to stop
	queued   atomic.Int32 // speech sent on queue and not yet taken (at times one behind)
	shard    *lineShard   // the clock shard ticking the call; set in Dial

	// wmu serializes writes to conn and guards the fields below it. It is
	// taken before mu when both are needed.
	wmu      sync.Mutex
	seq      uint64 // sequenceNumber of the last message sent
	chunk    uint64 // media chunks sent
	wbuf     []byte
	sidJSON  []byte // StreamSID as a JSON string
	stopSent bool
	// deadlineSet is when the write deadline was last moved.
	deadlineSet time.Time

	conn      *websocket.Conn
	noRecord  bool
	voicedRMS float64

	ttsMu sync.Mutex // guards tts, created lazily
	tts   tts.Synthesizer

	queue      chan *speech  // Say → line, in order
	quit       chan struct{} // closed to stop the line (Hangup, Close)
	quitOnce   sync.Once
	done       chan struct{} // closed when the stream is gone
	doneOnce   sync.Once
	senderDone chan struct{} // closed when the call has left the line
	readerDone chan struct{}

	mu sync.Mutex // guards everything below
	rx receiver
}

// Dial places a call: it POSTs the voice webhook, connects the stream the
// TwiML names and sends Twilio's connected and start messages. The call
// runs until Hangup, Close, or the server closing the stream; ctx bounds
// only the dialling.
//
// The TwiML's stream URL is wss:// as Twilio requires; when BaseURL is
// plain http (a test server on loopback) the WebSocket goes to ws:// on
// BaseURL's host with the TwiML URL's path instead. The upgrade is signed
// over the TwiML URL, which is what Twilio signs.
func Dial(ctx context.Context, opts Options) (*Call, error) {
	base, err := url.Parse(opts.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("twiliotest: BaseURL %q is not an http(s) URL", opts.BaseURL)
	}
	opts = withDefaults(opts)

	twiml, err := postWebhook(ctx, base, opts)
	if err != nil {
		return nil, err
	}
	streamURL, params, err := parseTwiML(twiml)
	if err != nil {
		return nil, err
	}
	dialURL, err := mapStreamURL(base, streamURL)
	if err != nil {
		return nil, err
	}
	header := http.Header{}
	if opts.AuthToken != "" {
		header.Set(twilio.SignatureHeader, twilio.Signature(opts.AuthToken, streamURL, nil))
	}
	dialer := *websocket.DefaultDialer
	dialer.NetDialContext = dialDeduped
	conn, resp, err := dialer.DialContext(ctx, dialURL, header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w: stream %s: HTTP %d: %w", ErrCallEnded, dialURL, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("%w: stream %s: %w", ErrCallEnded, dialURL, err)
	}

	c := &Call{
		AccountSID: opts.AccountSID,
		CallSID:    opts.CallSID,
		StreamSID:  opts.StreamSID,
		StreamURL:  streamURL,
		Parameters: params,
		conn:       conn,
		voicedRMS:  opts.VoicedRMS,
		noRecord:   opts.NoRecording,
		tts:        opts.TTS,
		queue:      make(chan *speech, 16),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
		senderDone: make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	c.sidJSON, _ = json.Marshal(c.StreamSID) // a string always marshals
	c.rx.noRecord = opts.NoRecording

	if err := c.handshake(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: %w", ErrCallEnded, err)
	}
	c.rx.start = time.Now()
	c.shard = theLine.shard()
	c.shard.join(c) // before the reader starts: it may take the call off
	go c.readLoop()
	return c, nil
}

func withDefaults(o Options) Options {
	if o.To == "" {
		o.To = "+15005550006"
	}
	if o.From == "" {
		o.From = "+15005550001"
	}
	if o.AccountSID == "" {
		o.AccountSID = newSID("AC")
	}
	if o.CallSID == "" {
		o.CallSID = newSID("CA")
	}
	if o.StreamSID == "" {
		o.StreamSID = newSID("MZ")
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if o.VoicedRMS <= 0 {
		o.VoicedRMS = DefaultVoicedRMS
	}
	return o
}

// newSID returns a Twilio-shaped SID: a two-letter prefix and 32 hex digits.
func newSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b[:])
}

// postWebhook sends the voice webhook Twilio sends for an incoming call and
// returns the TwiML body.
func postWebhook(ctx context.Context, base *url.URL, o Options) ([]byte, error) {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + WebhookPath
	q := url.Values{}
	if o.AgentID != "" {
		q.Set("agentId", o.AgentID)
	}
	if o.InstanceID != "" {
		q.Set("instanceId", o.InstanceID)
	}
	u.RawQuery = q.Encode()
	webhookURL := u.String()

	form := url.Values{
		"AccountSid": {o.AccountSID},
		"ApiVersion": {"2010-04-01"},
		"CallSid":    {o.CallSID},
		"CallStatus": {"ringing"},
		"Direction":  {"inbound"},
		"From":       {o.From},
		"To":         {o.To},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWebhook, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if o.AuthToken != "" {
		req.Header.Set(twilio.SignatureHeader, twilio.Signature(o.AuthToken, webhookURL, form))
	}
	resp, err := o.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWebhook, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("%w: reading answer: %w", ErrWebhook, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%w: HTTP %d: %s", ErrWebhook, resp.StatusCode, snippet(body))
	}
	return body, nil
}

func snippet(b []byte) string {
	const max = 300
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// twimlResponse is the part of a TwiML answer a call needs.
type twimlResponse struct {
	XMLName xml.Name `xml:"Response"`
	Connect *struct {
		Stream *struct {
			URL    string `xml:"url,attr"`
			Params []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"Parameter"`
		} `xml:"Stream"`
	} `xml:"Connect"`
	Say []string `xml:"Say"`
}

// parseTwiML returns the <Connect><Stream> URL and parameters of a TwiML
// answer.
func parseTwiML(body []byte) (string, map[string]string, error) {
	var r twimlResponse
	if err := xml.Unmarshal(body, &r); err != nil {
		return "", nil, fmt.Errorf("%w: not TwiML: %w: %s", ErrWebhook, err, snippet(body))
	}
	if r.Connect == nil || r.Connect.Stream == nil {
		if len(r.Say) > 0 {
			return "", nil, fmt.Errorf("%w: it says %q", ErrNoStream, strings.Join(r.Say, " "))
		}
		return "", nil, fmt.Errorf("%w: %s", ErrNoStream, snippet(body))
	}
	s := r.Connect.Stream
	params := make(map[string]string, len(s.Params))
	for _, p := range s.Params {
		params[p.Name] = p.Value
	}
	return s.URL, params, nil
}

// mapStreamURL returns the URL to open the stream on: the TwiML URL itself
// against an https server, or ws:// on the server's own host with the
// TwiML URL's path against a plain http one.
func mapStreamURL(base *url.URL, streamURL string) (string, error) {
	su, err := url.Parse(streamURL)
	if err != nil || su.Path == "" && su.Host == "" {
		return "", fmt.Errorf("%w: stream URL %q", ErrNoStream, streamURL)
	}
	if su.Scheme != "wss" {
		return "", fmt.Errorf("%w: stream URL %q is not wss:// (Twilio refuses it)", ErrNoStream, streamURL)
	}
	if base.Scheme == "https" {
		return streamURL, nil
	}
	u := url.URL{Scheme: "ws", Host: base.Host, Path: su.Path, RawPath: su.RawPath}
	return u.String(), nil
}

// Messages Twilio sends. Numeric-looking fields are strings on the wire.
type (
	connectedMsg struct {
		Event    string `json:"event"`
		Protocol string `json:"protocol"`
		Version  string `json:"version"`
	}
	startMsg struct {
		Event          string    `json:"event"`
		SequenceNumber string    `json:"sequenceNumber"`
		StreamSID      string    `json:"streamSid"`
		Start          startBody `json:"start"`
	}
	startBody struct {
		AccountSID       string            `json:"accountSid"`
		StreamSID        string            `json:"streamSid"`
		CallSID          string            `json:"callSid"`
		Tracks           []string          `json:"tracks"`
		CustomParameters map[string]string `json:"customParameters"`
		MediaFormat      mediaFormat       `json:"mediaFormat"`
	}
	mediaFormat struct {
		Encoding   string `json:"encoding"`
		SampleRate int    `json:"sampleRate"`
		Channels   int    `json:"channels"`
	}
	dtmfMsg struct {
		Event          string   `json:"event"`
		StreamSID      string   `json:"streamSid"`
		SequenceNumber string   `json:"sequenceNumber"`
		DTMF           dtmfBody `json:"dtmf"`
	}
	dtmfBody struct {
		Track string `json:"track"`
		Digit string `json:"digit"`
	}
	stopMsg struct {
		Event          string   `json:"event"`
		StreamSID      string   `json:"streamSid"`
		SequenceNumber string   `json:"sequenceNumber"`
		Stop           stopBody `json:"stop"`
	}
	stopBody struct {
		AccountSID string `json:"accountSid"`
		CallSID    string `json:"callSid"`
	}
	markMsg struct {
		Event          string   `json:"event"`
		StreamSID      string   `json:"streamSid"`
		SequenceNumber string   `json:"sequenceNumber"`
		Mark           markBody `json:"mark"`
	}
	markBody struct {
		Name string `json:"name"`
	}
)

// handshake sends connected and start, before any other goroutine writes.
func (c *Call) handshake() error {
	if err := c.writeJSON(connectedMsg{Event: "connected", Protocol: "Call", Version: "1.0.0"}); err != nil {
		return err
	}
	params := c.Parameters
	if params == nil {
		params = map[string]string{}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.seq++
	return c.writeJSONLocked(startMsg{
		Event:          "start",
		SequenceNumber: fmt.Sprint(c.seq),
		StreamSID:      c.StreamSID,
		Start: startBody{
			AccountSID:       c.AccountSID,
			StreamSID:        c.StreamSID,
			CallSID:          c.CallSID,
			Tracks:           []string{"inbound"},
			CustomParameters: params,
			MediaFormat:      mediaFormat{Encoding: "audio/x-mulaw", SampleRate: sampleRate, Channels: 1},
		},
	})
}

func (c *Call) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeJSONLocked(v)
}

// writeJSONLocked writes v as one text frame; wmu must be held.
func (c *Call) writeJSONLocked(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.writeLocked(b)
}

// writeLocked writes one text frame; wmu must be held.
func (c *Call) writeLocked(b []byte) error {
	// Frames go out every 20 ms; moving the deadline once a second bounds
	// each write just as well (it fails within writeTimeout plus at most a
	// second) and, with deadlineConn, spares the runtime a poll timer
	// update per frame.
	if now := time.Now(); now.Sub(c.deadlineSet) >= time.Second {
		if err := c.conn.SetWriteDeadline(now.Add(writeTimeout + time.Second)); err != nil {
			return err
		}
		c.deadlineSet = now
	}
	return c.conn.WriteMessage(websocket.TextMessage, b)
}

// DTMF sends a keypress ('0'-'9', '*', '#', 'A'-'D') as Twilio's dtmf
// event. Twilio sends it out of band, so it does not wait for queued
// speech.
func (c *Call) DTMF(digit byte) error {
	if !(digit >= '0' && digit <= '9' || digit == '*' || digit == '#' || digit >= 'A' && digit <= 'D') {
		return fmt.Errorf("twiliotest: %q is not a DTMF digit", digit)
	}
	if c.ended() {
		return ErrCallEnded
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.stopSent {
		return ErrCallEnded
	}
	c.seq++
	return c.writeJSONLocked(dtmfMsg{
		Event:          "dtmf",
		StreamSID:      c.StreamSID,
		SequenceNumber: fmt.Sprint(c.seq),
		DTMF:           dtmfBody{Track: "inbound_track", Digit: string(digit)},
	})
}

// Hangup ends the call as Twilio does when the caller hangs up: it stops
// the caller's audio, sends stop, closes the WebSocket and waits (until
// ctx ends) for the server to close its side. Queued speech is dropped.
func (c *Call) Hangup(ctx context.Context) error {
	c.stopSender()
	<-c.senderDone
	c.wmu.Lock()
	var err error
	if !c.stopSent && !c.ended() {
		c.stopSent = true
		c.seq++
		err = c.writeJSONLocked(stopMsg{
			Event:          "stop",
			StreamSID:      c.StreamSID,
			SequenceNumber: fmt.Sprint(c.seq),
			Stop:           stopBody{AccountSID: c.AccountSID, CallSID: c.CallSID},
		})
		if err == nil {
			err = c.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(writeTimeout))
		}
	}
	c.wmu.Unlock()
	select {
	case <-c.readerDone:
	case <-ctx.Done():
		c.conn.Close()
		<-c.readerDone
		if err == nil {
			err = ctx.Err()
		}
	}
	c.conn.Close()
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		return err
	}
	return nil
}

// Close drops the call at once, like a lost connection: no stop message.
// It waits for the Call's goroutines to end. Calling it again, or after
// Hangup, is a no-op.
func (c *Call) Close() error {
	c.quitOnce.Do(func() { close(c.quit) })
	c.stopping.Store(true)
	c.conn.Close() // first: it fails a write the line may be stuck in
	c.stopLine()
	<-c.readerDone
	<-c.senderDone
	return nil
}

// Done is closed when the media stream has ended, for whatever reason.
func (c *Call) Done() <-chan struct{} { return c.done }

// Err returns why the stream ended (nil while it is up): an error wrapping
// ErrCallEnded, and the socket's own error when there was one.
func (c *Call) Err() error {
	if !c.ended() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rx.endErr
}

func (c *Call) ended() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stopSender takes the call off the line, waiting for a tick in progress.
func (c *Call) stopSender() {
	c.quitOnce.Do(func() { close(c.quit) })
	c.stopping.Store(true)
	c.stopLine()
}

// end records why the stream ended and closes Done, once, and takes the
// call off the line.
func (c *Call) end(err error) {
	c.closeDone(err)
	c.stopLine()
}

// closeDone records why the stream ended and closes Done, once.
func (c *Call) closeDone(err error) {
	c.doneOnce.Do(func() {
		c.mu.Lock()
		c.rx.endErr = err
		c.mu.Unlock()
		close(c.done)
	})
	c.stopping.Store(true)
}

// dialDeduped dials the stream's TCP connection for the WebSocket, wrapped
// in a deadlineConn.
func dialDeduped(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &deadlineConn{Conn: conn}, nil
}

// deadlineConn passes on only the write deadlines that change. The
// websocket package sets the connection's write deadline before every
// frame, to the same time unless the caller has moved it, and each set
// costs the runtime a poll timer update; at 50 frames a second per call
// that shows in a load generator's profile.
type deadlineConn struct {
	net.Conn
	mu    sync.Mutex // guards wd and known
	wd    time.Time  // the write deadline last set, when known
	known bool
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known && t.Equal(c.wd) {
		return nil
	}
	err := c.Conn.SetWriteDeadline(t)
	c.wd, c.known = t, err == nil
	return err
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.Conn.SetDeadline(t)
	c.wd, c.known = t, err == nil
	return err
}
