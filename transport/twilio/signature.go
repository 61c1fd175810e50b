package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// SignatureHeader is the HTTP header in which Twilio sends a request's
// signature.
const SignatureHeader = "X-Twilio-Signature"

// Signature returns the X-Twilio-Signature of a request to rawURL (the full
// URL Twilio was configured with, query string included) carrying the POST
// form params: base64(HMAC-SHA1(authToken, rawURL + k1 + v1 + k2 + v2 …))
// with the keys sorted, and each key's distinct values sorted. Sorting
// compares UTF-16 code units, as Twilio's own libraries do; it differs from
// Go's byte order only between characters above U+FFFF and U+E000–U+FFFF.
// Repeated identical values count once, as in twilio-node and
// twilio-python. A GET request, or a WebSocket upgrade, has no params.
func Signature(authToken, rawURL string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(rawURL))
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareUTF16)
	var vals []string
	for _, k := range keys {
		vals = append(vals[:0], params[k]...)
		slices.SortFunc(vals, compareUTF16)
		for i, v := range vals {
			if i > 0 && v == vals[i-1] {
				continue
			}
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Valid reports whether signature is authToken's signature of a request to
// rawURL with params. Like Twilio's libraries it also accepts the signature
// made over rawURL with the scheme's default port (443 for https and wss,
// 80 for http and ws) written out or left off, because what Twilio signs
// depends on how the URL was configured and what a proxy in front of us
// forwards. Every candidate is checked in constant time and all of them
// are always computed, so the timing says nothing about which one matched.
// An empty token or signature is never valid.
func Valid(authToken, signature, rawURL string, params url.Values) bool {
	if authToken == "" || signature == "" {
		return false
	}
	got := []byte(signature)
	ok := false
	for _, u := range urlVariants(rawURL) {
		if u == "" {
			continue
		}
		want := Signature(authToken, u, params)
		if hmac.Equal(got, []byte(want)) {
			ok = true
		}
	}
	return ok
}

// urlVariants returns rawURL and, when its scheme has a default port,
// rawURL with that port removed or added. Unused entries are empty.
func urlVariants(rawURL string) [2]string {
	out := [2]string{rawURL}
	scheme, rest, found := strings.Cut(rawURL, "://")
	if !found {
		return out
	}
	var port string
	switch strings.ToLower(scheme) {
	case "https", "wss":
		port = "443"
	case "http", "ws":
		port = "80"
	default:
		return out
	}
	authEnd := strings.IndexAny(rest, "/?#")
	if authEnd < 0 {
		authEnd = len(rest)
	}
	authority, tail := rest[:authEnd], rest[authEnd:]
	hostStart := strings.LastIndexByte(authority, '@') + 1
	host := authority[hostStart:]
	if host == "" {
		return out
	}
	// A colon after the last ']' (IPv6 literals hold colons) starts a port.
	if i := strings.LastIndexByte(host, ':'); i > strings.LastIndexByte(host, ']') {
		if host[i+1:] == port {
			out[1] = scheme + "://" + authority[:hostStart] + host[:i] + tail
		}
		return out
	}
	out[1] = scheme + "://" + authority + ":" + port + tail
	return out
}

// compareUTF16 orders strings by their UTF-16 code units, the order of
// JavaScript's and Java's string sort, which Twilio's signatures follow.
// Strings that differ only in invalid UTF-8 (all of it reads as U+FFFD) fall
// back to byte order, so the order, and the signature, never depend on the
// order params arrived in.
func compareUTF16(a, b string) int {
	if c := compareUnits(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func compareUnits(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := firstUnit(ra), firstUnit(rb)
			if ua != ub {
				return int(ua) - int(ub)
			}
			// Same high surrogate: the low surrogates keep code point order.
			return int(ra) - int(rb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// firstUnit is the first UTF-16 code unit of r.
func firstUnit(r rune) rune {
	if r < 0x10000 {
		return r
	}
	return 0xD800 + (r-0x10000)>>10
}
