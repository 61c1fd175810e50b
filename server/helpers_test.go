package server_test

import (
	"io"
	"net/http"
)

func newRequest(method, url string, body io.Reader) (*http.Request, error) {
	return http.NewRequest(method, url, body)
}

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(r) }
