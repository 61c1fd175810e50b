package voice

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// After the agent has been silent longer than the write timeout, the next
// frame must still go out: the deadline is moved by the clock, not by a
// count of writes (which stop while the agent is silent).
func TestEncoderWritesAfterLongSilence(t *testing.T) {
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			got <- string(msg)
		}
	}))
	defer srv.Close()
	conn, _, err := websocket.DefaultDialer.Dial(strings.Replace(srv.URL, "http", "ws", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	enc, err := newTwilioEncoder(conn, "MZ1")
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.WriteControl(clearMsg{}); err != nil {
		t.Fatal(err)
	}
	<-got
	// Pretend the last write was long ago: the deadline it set has passed.
	_ = conn.SetWriteDeadline(time.Now().Add(-time.Second))
	enc.deadlineSet = time.Now().Add(-10 * time.Second)
	if err := enc.WriteFrame(make([]int16, 320), nil, false); err != nil {
		t.Fatalf("write after a long silence: %v", err)
	}
	if msg := <-got; !strings.Contains(msg, `"event":"media"`) {
		t.Fatalf("got %s", msg)
	}
}
