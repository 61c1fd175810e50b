package twilio

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	testNow    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	testClaims = Claims{
		OrgID: "org_1", AgentID: "agent_2", InstanceID: "inst_3",
		CallSID: "CA0123456789abcdef0123456789abcdef", From: "+15550100", To: "+15550199",
	}
)

func TestTokenRoundTrip(t *testing.T) {
	tok := NewToken(testSecret, testClaims, 5*time.Minute, testNow)
	got, err := ParseToken(testSecret, tok, testNow.Add(4*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := testClaims
	want.ExpiresAt = testNow.Add(5 * time.Minute)
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if strings.ContainsAny(tok, "+/=&<>\"") {
		t.Errorf("token %q is not URL- and XML-safe", tok)
	}
}

func TestTokenRefused(t *testing.T) {
	tok := NewToken(testSecret, testClaims, time.Minute, testNow)
	payload, sig, _ := strings.Cut(tok, ".")
	other := NewToken(testSecret, Claims{OrgID: "org_evil"}, time.Minute, testNow)
	otherPayload, _, _ := strings.Cut(other, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)/2] == 'A' {
			b[len(b)/2] = 'B'
		} else {
			b[len(b)/2] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name   string
		secret []byte
		token  string
		now    time.Time
		want   error
	}{
		{"expired at the instant", testSecret, tok, testNow.Add(time.Minute), ErrTokenExpired},
		{"expired later", testSecret, tok, testNow.Add(time.Hour), ErrTokenExpired},
		{"other secret", []byte("another secret of enough length!"), tok, testNow, ErrTokenInvalid},
		{"empty secret", nil, NewToken(nil, testClaims, time.Minute, testNow), testNow, ErrTokenInvalid},
		{"tampered payload", testSecret, flip(payload) + "." + sig, testNow, ErrTokenInvalid},
		{"tampered signature", testSecret, payload + "." + flip(sig), testNow, ErrTokenInvalid},
		{"swapped payload", testSecret, otherPayload + "." + sig, testNow, ErrTokenInvalid},
		{"no signature", testSecret, payload, testNow, ErrTokenInvalid},
		{"empty signature", testSecret, payload + ".", testNow, ErrTokenInvalid},
		{"empty", testSecret, "", testNow, ErrTokenInvalid},
		{"padded signature", testSecret, payload + "." + sig + "=", testNow, ErrTokenInvalid},
		{"extra part", testSecret, tok + ".x", testNow, ErrTokenInvalid},
		{"huge", testSecret, strings.Repeat("A", 5000) + "." + sig, testNow, ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseToken(tt.secret, tt.token, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if c != (Claims{}) {
				t.Errorf("claims %+v returned with an error", c)
			}
		})
	}
}

// FuzzParseToken checks that ParseToken never panics and that anything it
// accepts carries a signature that NewToken reproduces byte for byte, i.e.
// no token other than one we minted gets through.
func FuzzParseToken(f *testing.F) {
	f.Add(NewToken(testSecret, testClaims, time.Minute, testNow))
	f.Add(NewToken(testSecret, Claims{}, time.Hour, testNow))
	f.Add(NewToken([]byte("other"), testClaims, time.Minute, testNow))
	f.Add("")
	f.Add(".")
	f.Add("e30.AAAA")
	f.Add("eyJlIjoxfQ.x")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := ParseToken(testSecret, token, testNow)
		if err != nil {
			if !errors.Is(err, ErrTokenInvalid) && !errors.Is(err, ErrTokenExpired) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !c.ExpiresAt.After(testNow) {
			t.Fatalf("accepted a token expiring at %v", c.ExpiresAt)
		}
		// The only accepted spelling of a token is the one we mint: the
		// signature must be exactly the MAC of the payload as given.
		payload, _, _ := strings.Cut(token, ".")
		if want := payload + "." + base64.RawURLEncoding.EncodeToString(tokenMAC(testSecret, payload)); token != want {
			t.Fatalf("accepted %q, which differs from the signed form %q", token, want)
		}
		// Minting the claims again gives a token that reads back the same.
		again, err := ParseToken(testSecret, NewToken(testSecret, c, c.ExpiresAt.Sub(testNow), testNow), testNow)
		if err != nil || again != c {
			t.Fatalf("re-minted claims: %+v, %v; want %+v", again, err, c)
		}
	})
}
