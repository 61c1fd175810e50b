package resource

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// ID prefixes of every resource kind (DESIGN.md "API conventions").
const (
	PrefixAgent        = "agent_"
	PrefixTool         = "tool_"
	PrefixInstance     = "inst_"
	PrefixGroup        = "grp_"
	PrefixTask         = "task_"
	PrefixTest         = "test_"
	PrefixVoice        = "voice_"
	PrefixJob          = "job_"
	PrefixCollection   = "col_"
	PrefixDocument     = "doc_"
	PrefixSession      = "sess_"
	PrefixCall         = "call_"
	PrefixConversation = "conv_"
	PrefixKey          = "key_"
	PrefixOrganization = "org_"
	PrefixRequest      = "req_"
)

// Crockford's base32 keeps IDs URL-safe, case-insensitive to read aloud, and
// sortable: the byte order of the text is the order of the encoded value.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// idClock makes IDs from one process strictly increasing even within a
// millisecond, so an ID-ordered listing is creation order. It guards last.
var idClock struct {
	sync.Mutex
	last [16]byte
}

// NewID returns prefix followed by 26 base32 characters: 48 bits of Unix
// milliseconds then 80 random bits (the ULID layout). Within one millisecond
// the random part is incremented instead of redrawn, keeping IDs monotonic.
func NewID(prefix string) string {
	var raw [16]byte
	ms := uint64(time.Now().UnixMilli())
	idClock.Lock()
	lastMs := binary.BigEndian.Uint64(append([]byte{0, 0}, idClock.last[:6]...))
	if ms <= lastMs {
		raw = idClock.last
		increment(raw[6:])
	} else {
		binary.BigEndian.PutUint16(raw[0:2], uint16(ms>>32))
		binary.BigEndian.PutUint32(raw[2:6], uint32(ms))
		_, _ = rand.Read(raw[6:])
	}
	idClock.last = raw
	idClock.Unlock()

	var b strings.Builder
	b.Grow(len(prefix) + 26)
	b.WriteString(prefix)
	// 128 bits → 26 characters of 5 bits, the first carrying the top 3 bits.
	hi := binary.BigEndian.Uint64(raw[0:8])
	lo := binary.BigEndian.Uint64(raw[8:16])
	for i := 25; i >= 0; i-- {
		shift := uint(i * 5)
		var v uint64
		switch {
		case shift >= 64:
			v = hi >> (shift - 64)
		case shift+5 > 64:
			v = lo>>shift | hi<<(64-shift)
		default:
			v = lo >> shift
		}
		b.WriteByte(crockford[v&31])
	}
	return b.String()
}

func increment(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return
		}
	}
}

// ValidID reports whether s looks like an ID of the given prefix. It guards
// storage keys against path tricks in URLs; it does not prove the ID exists.
func ValidID(prefix, s string) bool {
	if !strings.HasPrefix(s, prefix) || len(s) != len(prefix)+26 {
		return false
	}
	for _, c := range s[len(prefix):] {
		if !strings.ContainsRune(crockford, c) {
			return false
		}
	}
	return true
}
