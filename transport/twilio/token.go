package twilio

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors returned by ParseToken.
var (
	// ErrTokenInvalid means the token is malformed, was not signed with the
	// secret, or the secret is empty.
	ErrTokenInvalid = errors.New("twilio: invalid session token")
	// ErrTokenExpired means the token was genuine but its lifetime is over.
	ErrTokenExpired = errors.New("twilio: session token expired")
)

// TokenParam is the <Parameter> name under which the webhook passes the
// session token to the media stream.
const TokenParam = "token"

// maxTokenLen bounds the input ParseToken looks at; real tokens are a few
// hundred bytes.
const maxTokenLen = 4096

// tokenDomain separates these MACs from any other use of the same secret.
const tokenDomain = "switchboard/twilio-stream/v1\x00"

// Claims is what a session token vouches for: which organization, agent and
// instance a Twilio call belongs to, and the call itself.
type Claims struct {
	OrgID      string    `json:"o,omitempty"`
	AgentID    string    `json:"a,omitempty"`
	InstanceID string    `json:"i,omitempty"`
	CallSID    string    `json:"c,omitempty"`
	From       string    `json:"f,omitempty"`
	To         string    `json:"t,omitempty"`
	ExpiresAt  time.Time `json:"-"`
}

// wireClaims adds the expiry as Unix seconds, which keeps tokens short.
type wireClaims struct {
	Claims
	Exp int64 `json:"e"`
}

// NewToken returns a token carrying claims that expires ttl after now
// (claims.ExpiresAt is ignored; the expiry is rounded down to the second):
// base64url(JSON) "." base64url(HMAC-SHA256).
// The claims are signed, not encrypted, so they must hold nothing secret;
// they pass through Twilio. secret should be at least 32 random bytes;
// ParseToken refuses an empty one.
func NewToken(secret []byte, claims Claims, ttl time.Duration, now time.Time) string {
	// Marshalling a struct of strings and an int cannot fail.
	body, _ := json.Marshal(wireClaims{Claims: claims, Exp: now.Add(ttl).Unix()})
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(tokenMAC(secret, payload))
}

// ParseToken verifies token with secret and returns its claims, with
// ExpiresAt in UTC. It returns ErrTokenInvalid for anything not signed with
// secret and ErrTokenExpired once now reaches the expiry. The signature is
// checked, in constant time, before the payload is decoded.
func ParseToken(secret []byte, token string, now time.Time) (Claims, error) {
	if len(secret) == 0 {
		return Claims{}, fmt.Errorf("%w: empty secret", ErrTokenInvalid)
	}
	if len(token) > maxTokenLen {
		return Claims{}, fmt.Errorf("%w: too long", ErrTokenInvalid)
	}
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || payload == "" || !base64URL(payload) || !base64URL(sig) {
		return Claims{}, fmt.Errorf("%w: malformed", ErrTokenInvalid)
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || !hmac.Equal(got, tokenMAC(secret, payload)) {
		return Claims{}, fmt.Errorf("%w: bad signature", ErrTokenInvalid)
	}
	body, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %w", ErrTokenInvalid, err)
	}
	var w wireClaims
	if err := json.Unmarshal(body, &w); err != nil || w.Exp == 0 {
		return Claims{}, fmt.Errorf("%w: payload", ErrTokenInvalid)
	}
	c := w.Claims
	c.ExpiresAt = time.Unix(w.Exp, 0).UTC()
	if !now.Before(c.ExpiresAt) {
		return Claims{}, fmt.Errorf("%w: at %s", ErrTokenExpired, c.ExpiresAt.Format(time.RFC3339))
	}
	return c, nil
}

func tokenMAC(secret []byte, payload string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(tokenDomain))
	mac.Write([]byte(payload))
	return mac.Sum(nil)
}

// base64URL reports whether s holds only the unpadded base64url alphabet.
// The decoder alone is not enough: it skips CR and LF, which would let one
// token be spelled many ways.
func base64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
