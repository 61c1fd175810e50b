package twiliotest

import (
	"bytes"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/switchboard-voice/switchboard/audio/g711"
	"github.com/switchboard-voice/switchboard/transport/twilio"
	"github.com/switchboard-voice/switchboard/transport/twilio/mediastream"
)

// fakeServer stands in for Switchboard's Twilio endpoints: the webhook
// answers TwiML and the stream endpoint hands each connection to the test.
type fakeServer struct {
	t     *testing.T
	srv   *httptest.Server
	token string // when set, both signatures are checked
	twiml func(host string) []byte

	webhooks chan url.Values
	peers    chan *peer
}

func newFakeServer(t *testing.T, token string) *fakeServer {
	t.Helper()
	f := &fakeServer{
		t:        t,
		token:    token,
		webhooks: make(chan url.Values, 4),
		peers:    make(chan *peer, 4),
	}
	f.twiml = func(host string) []byte {
		b, err := twilio.ConnectStream("wss://"+host+WebhookPath+"/stream",
			map[string]string{twilio.TokenParam: "tok-123", "agentId": "agent_1"})
		if err != nil {
			t.Error(err)
		}
		return b
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+WebhookPath, f.webhook)
	mux.HandleFunc("GET "+WebhookPath+"/stream", f.stream)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) URL() string { return f.srv.URL }

func (f *fakeServer) webhook(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if f.token != "" {
		u := "http://" + r.Host + r.URL.RequestURI()
		if !twilio.Valid(f.token, r.Header.Get(twilio.SignatureHeader), u, r.PostForm) {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
	}
	form := r.PostForm
	form.Set("agentId", r.URL.Query().Get("agentId"))
	f.webhooks <- form
	w.Header().Set("Content-Type", twilio.ContentType)
	w.Write(f.twiml(r.Host))
}

func (f *fakeServer) stream(w http.ResponseWriter, r *http.Request) {
	if f.token != "" {
		u := "wss://" + r.Host + r.URL.Path
		if !twilio.Valid(f.token, r.Header.Get(twilio.SignatureHeader), u, nil) {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
	}
	up := websocket.Upgrader{}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	p := &peer{conn: conn, in: make(chan message, 1<<14), closed: make(chan struct{})}
	go p.readLoop()
	f.peers <- p
}

// accept returns the next stream connection.
func (f *fakeServer) accept(t *testing.T) *peer {
	t.Helper()
	select {
	case p := <-f.peers:
		t.Cleanup(func() { p.conn.Close() })
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no stream connection")
		return nil
	}
}

// peer is the server's end of one stream.
type peer struct {
	conn   *websocket.Conn
	in     chan message
	closed chan struct{} // the caller closed the socket
	wmu    sync.Mutex
	sid    string
}

// message is one frame from the caller, parsed.
type message struct {
	raw []byte
	in  mediastream.Inbound
	err error
	at  time.Time
}

func (p *peer) readLoop() {
	defer close(p.closed)
	defer close(p.in)
	var parser mediastream.Parser
	for {
		_, raw, err := p.conn.ReadMessage()
		if err != nil {
			return
		}
		m := message{raw: raw, at: time.Now()}
		m.err = parser.Parse(raw, &m.in) // a fresh Inbound each time: nothing is shared
		p.in <- m
	}
}

// next returns the next message from the caller.
func (p *peer) next(t *testing.T) message {
	t.Helper()
	select {
	case m, ok := <-p.in:
		if !ok {
			t.Fatal("caller closed the stream")
		}
		if m.err != nil {
			t.Fatalf("caller sent %s: %v", m.raw, m.err)
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message from the caller")
		return message{}
	}
}

// nextEvent returns the next message of kind, skipping others.
func (p *peer) nextEvent(t *testing.T, kind mediastream.Kind) message {
	t.Helper()
	for {
		if m := p.next(t); m.in.Event == kind {
			return m
		}
	}
}

// handshake reads connected and start and remembers the stream SID.
func (p *peer) handshake(t *testing.T) (connected, start message) {
	t.Helper()
	connected = p.next(t)
	start = p.next(t)
	if connected.in.Event != mediastream.KindConnected || start.in.Event != mediastream.KindStart {
		t.Fatalf("first messages are %s, %s; want connected, start", connected.in.Event, start.in.Event)
	}
	p.sid = start.in.StreamSID
	return connected, start
}

func (p *peer) write(t *testing.T, b []byte) {
	t.Helper()
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if err := p.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Error(err)
	}
}

// sendAudio sends pcm as μ-law media messages of 20 ms, all at once.
func (p *peer) sendAudio(t *testing.T, pcm []int16) {
	t.Helper()
	mulaw := make([]byte, len(pcm))
	g711.EncodeULaw(mulaw, pcm)
	for len(mulaw) > 0 {
		n := min(len(mulaw), FrameSamples)
		p.write(t, mediastream.AppendMedia(nil, p.sid, mulaw[:n]))
		mulaw = mulaw[n:]
	}
}

func (p *peer) sendMark(t *testing.T, name string) {
	t.Helper()
	p.write(t, mediastream.AppendMark(nil, p.sid, name))
}

func (p *peer) sendClear(t *testing.T) {
	t.Helper()
	p.write(t, mediastream.AppendClear(nil, p.sid))
}

// waitClosed waits for the caller to close the socket.
func (p *peer) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-p.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("caller did not close the stream")
	}
}

// tone is d of a 440 Hz sine at about -12 dBFS, 8 kHz.
func tone(d time.Duration) []int16 {
	n := int(d * sampleRate / time.Second)
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/sampleRate))
	}
	return pcm
}

// silent reports whether a μ-law payload is all zero samples.
func silent(mulaw []byte) bool {
	return len(bytes.Trim(mulaw, "\xff\x7f")) == 0
}

// seqOf returns a message's sequenceNumber as sent, checking it is a
// string of digits.
func seqOf(t *testing.T, m message) uint64 {
	t.Helper()
	if !bytes.Contains(m.raw, []byte(`"sequenceNumber":"`+strconv.FormatUint(m.in.Seq, 10)+`"`)) {
		t.Fatalf("sequenceNumber not a JSON string in %s", m.raw)
	}
	return m.in.Seq
}
