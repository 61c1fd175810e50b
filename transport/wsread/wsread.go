// Package wsread reads WebSocket messages into a buffer the caller keeps.
//
// websocket.Conn.ReadMessage allocates a new slice for every message; a
// media stream receives fifty a second per call, so at a thousand calls
// that is fifty thousand allocations a second for the garbage collector.
package wsread

import (
	"io"

	"github.com/fasthttp/websocket"
)

// Message reads the next message into buf, grown as needed, and returns
// its type and bytes. The bytes are valid until the next call with the
// same buf. The connection's read limit still bounds a message.
func Message(conn *websocket.Conn, buf []byte) (int, []byte, error) {
	typ, r, err := conn.NextReader()
	if err != nil {
		return typ, buf[:0], err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return typ, buf, nil
		}
		if err != nil {
			return typ, buf, err
		}
	}
}
