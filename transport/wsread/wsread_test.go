package wsread

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fasthttp/websocket"
)

// TestMessage reads messages of growing and shrinking sizes through one
// buffer over a real WebSocket, and a message over the read limit fails.
func TestMessage(t *testing.T) {
	sizes := []int{0, 1, 300, 70000, 5, 4096}
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for i, n := range sizes {
			_ = c.WriteMessage(websocket.BinaryMessage, bytes.Repeat([]byte{byte('a' + i)}, n))
		}
		_ = c.WriteMessage(websocket.TextMessage, make([]byte, 200000))
		_, _, _ = c.ReadMessage() // until the client goes
	}))
	defer srv.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadLimit(100000)
	var buf []byte
	for i, n := range sizes {
		typ, msg, err := Message(conn, buf)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if typ != websocket.BinaryMessage || !bytes.Equal(msg, bytes.Repeat([]byte{byte('a' + i)}, n)) {
			t.Fatalf("message %d: type %d, %d bytes, want %d bytes of %q", i, typ, len(msg), n, rune('a'+i))
		}
		buf = msg
	}
	if _, _, err := Message(conn, buf); !errors.Is(err, websocket.ErrReadLimit) {
		t.Errorf("message over the read limit: %v, want ErrReadLimit", err)
	}
}
