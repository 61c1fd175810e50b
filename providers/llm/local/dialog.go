package local

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// convState is the dialog state re-derived from the conversation: the
// tool being filled in, if any.
type convState struct {
	task *task
}

// task is a tool call in progress.
type task struct {
	spec *toolSpec
	now  time.Time
	vals map[string]any
	// partial date-times: the date or the time heard so far.
	dtDate map[string]time.Time
	dtTime map[string]clock
	// asked is the index of the parameter last asked for, or -1.
	asked      int
	confirming bool // waiting for yes/no to the read-back
	changing   bool // waiting for what to change after a no
	fails      int  // turns in a row that did not answer the question
}

type decKind int

const (
	decOpen      decKind = iota // no tool involved: small talk, knowledge, fallback
	decEnd                      // say goodbye and end the call
	decAsk                      // ask for task.asked
	decConfirm                  // read the arguments back
	decAskChange                // ask what to change
	decCall                     // call the tool
	decAbandon                  // the caller dropped the task
	decGiveUp                   // too many answers not understood
	decRepeat                   // say the last reply again
)

type decision struct {
	kind decKind
	task *task
	// first: the task started this turn; progressed: something was filled;
	// reprompt: the question was not answered; confirmed: a yes to the
	// read-back.
	first, progressed, reprompt, confirmed bool
}

// maxFails is how many unanswered questions in a row end a task, so a
// confused caller is not asked the same thing forever.
const maxFails = 3

// step applies one user turn to the state, in the engine's order of
// priority: ending, the task in progress, a new tool intent, anything else.
func (t *turn) step(st *convState, utterance, prev string) decision {
	toks := tokenize(utterance)
	if prev != "" && isRepeatRequest(toks) {
		return decision{kind: decRepeat} // changes nothing, counts as no failure
	}
	pending := st.task != nil
	if isEnding(toks, prev, pending) {
		st.task = nil
		return decision{kind: decEnd}
	}
	if tk := st.task; tk != nil {
		if isAbort(toks) {
			st.task = nil
			return decision{kind: decAbandon}
		}
		d := t.continueTask(st, tk, utterance, toks)
		return d
	}
	if spec, _ := scoreTools(utterance, t.tools); spec != nil {
		tk := t.newTask(spec)
		st.task = tk
		tk.fill(utterance, false)
		d := t.advance(st, tk)
		d.first = true
		return d
	}
	return decision{kind: decOpen}
}

func (t *turn) newTask(spec *toolSpec) *task {
	return &task{spec: spec, now: t.now, vals: map[string]any{}, dtDate: map[string]time.Time{}, dtTime: map[string]clock{}, asked: -1}
}

func (t *turn) continueTask(st *convState, tk *task, utterance string, toks []string) decision {
	switch {
	case tk.confirming:
		changed := tk.fill(utterance, true)
		yes, ok := parseBool(utterance)
		switch {
		case changed:
			return decision{kind: decConfirm, task: tk, progressed: true}
		case ok && yes:
			st.task = nil
			return decision{kind: decCall, task: tk, confirmed: true}
		case ok && !yes:
			tk.confirming, tk.changing, tk.fails = false, true, 0
			return decision{kind: decAskChange, task: tk}
		}
		return t.failed(st, tk, decision{kind: decConfirm, task: tk, reprompt: true})
	case tk.changing:
		if tk.fill(utterance, true) {
			tk.changing, tk.confirming, tk.fails = false, true, 0
			return decision{kind: decConfirm, task: tk, progressed: true}
		}
		return t.failed(st, tk, decision{kind: decAskChange, task: tk, reprompt: true})
	}
	asked := tk.asked
	progressed := tk.fill(utterance, correcting(toks))
	if asked >= 0 && tk.has(asked) {
		d := t.advance(st, tk)
		d.progressed = true
		return d
	}
	// The question was not answered. A caller who now wants something
	// else entirely switches tasks.
	if spec, _ := scoreTools(utterance, t.tools); spec != nil && spec != tk.spec && !progressed {
		nt := t.newTask(spec)
		st.task = nt
		nt.fill(utterance, false)
		d := t.advance(st, nt)
		d.first = true
		return d
	}
	if progressed {
		d := t.advance(st, tk)
		d.progressed = true
		return d
	}
	return t.failed(st, tk, decision{kind: decAsk, task: tk, reprompt: true})
}

func (t *turn) failed(st *convState, tk *task, d decision) decision {
	tk.fails++
	if tk.fails >= maxFails {
		st.task = nil
		return decision{kind: decGiveUp}
	}
	return d
}

// advance asks for the next missing required parameter, or reads back, or
// calls.
func (t *turn) advance(st *convState, tk *task) decision {
	for i, p := range tk.spec.params {
		if p.required && p.kind != kindUnsupported && !tk.has(i) {
			if tk.asked != i {
				tk.fails = 0
			}
			tk.asked = i
			return decision{kind: decAsk, task: tk}
		}
	}
	tk.asked = -1
	if t.e.opts.Confirm && !tk.spec.isTransfer && len(tk.vals) > 0 {
		tk.confirming, tk.fails = true, 0
		return decision{kind: decConfirm, task: tk}
	}
	st.task = nil
	return decision{kind: decCall, task: tk}
}

func (tk *task) has(i int) bool {
	_, ok := tk.vals[tk.spec.params[i].name]
	return ok
}

// correcting reports words that mean a value already given is being
// replaced ("actually, make it 4").
func correcting(toks []string) bool {
	return hasAny(toks, setOf("actually", "instead", "change", "make", "rather"))
}

// fill takes every value it can hear from the utterance and reports
// whether anything was filled. The parameter just asked for is parsed
// leniently (a bare "10" is a time when the question was about time);
// the others only from unmistakable phrases, and a kind shared by several
// parameters (check-in and check-out dates) only when asked. override
// lets an utterance replace values already held.
func (tk *task) fill(utterance string, override bool) bool {
	kinds := map[kind]int{}
	for _, p := range tk.spec.params {
		kinds[p.kind]++
	}
	filled := false
	for i := range tk.spec.params {
		p := &tk.spec.params[i]
		asked := i == tk.asked
		_, have := tk.vals[p.name]
		if have && !override && !asked {
			continue
		}
		if !asked && kinds[p.kind] > 1 {
			continue
		}
		if p.kind == kindDateTime {
			if tk.fillDateTime(p, utterance, asked) {
				filled = true
			}
			continue
		}
		v, ok := tk.extract(p, utterance, asked)
		if !ok {
			continue
		}
		if p.array {
			v = []any{v}
		}
		if old, had := tk.vals[p.name]; had && sameJSON(old, v) {
			continue
		}
		tk.vals[p.name] = v
		filled = true
	}
	return filled
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// fillDateTime collects a date and a time, possibly over two turns.
func (tk *task) fillDateTime(p *param, utterance string, asked bool) bool {
	_, hasDate := tk.dtDate[p.name]
	filled := false
	if d, ok := parseDate(utterance, tk.now, asked && !hasDate); ok {
		tk.dtDate[p.name] = d
		hasDate, filled = true, true
	}
	if c, ok := parseTime(utterance, asked && hasDate); ok {
		tk.dtTime[p.name] = c
		filled = true
	}
	d, okD := tk.dtDate[p.name]
	c, okT := tk.dtTime[p.name]
	if okD && okT {
		v := time.Date(d.Year(), d.Month(), d.Day(), c.hour, c.minute, 0, 0, d.Location()).Format(time.RFC3339)
		if old, had := tk.vals[p.name]; had && old == v {
			return false
		}
		tk.vals[p.name] = v
		return true
	}
	// Half a date-time is progress only when it is the parameter asked for.
	return filled && asked
}

// extract hears one parameter's value in the utterance.
func (tk *task) extract(p *param, u string, lenient bool) (any, bool) {
	switch p.kind {
	case kindDate:
		if d, ok := parseDate(u, tk.now, lenient); ok {
			return d.Format("2006-01-02"), true
		}
	case kindTime:
		if c, ok := parseTime(u, lenient); ok {
			if p.format == "time" {
				return c.String() + ":00", true
			}
			return c.String(), true
		}
	case kindDigits:
		return extractDigits(p, u, lenient)
	case kindEmail:
		return parseEmail(u)
	case kindNumber:
		return extractNumber(p, u, lenient)
	case kindBool:
		if lenient {
			return parseBool(u)
		}
	case kindEnum:
		v, ok := matchEnum(u, p.enum, lenient)
		if !ok {
			return nil, false
		}
		if p.typ == "integer" || p.typ == "number" {
			f, ok := parseNumber(v)
			if !ok {
				return nil, false
			}
			return numberValue(p, f)
		}
		return v, true
	case kindName:
		return parseName(u, lenient)
	case kindText:
		if lenient {
			return freeText(u)
		}
	}
	return nil, false
}

func extractDigits(p *param, u string, lenient bool) (any, bool) {
	if lenient {
		if d, ok := parseDigits(u, 1); ok {
			return d, true
		}
		// Codes with letters: "AB1234".
		for _, tk := range tokenize(u) {
			if strings.ContainsAny(tk, "0123456789") && isAlnum(tk) {
				return strings.ToUpper(tk), true
			}
		}
		return nil, false
	}
	words := tokenize(splitIdentifier(p.name))
	phone := hasAny(words, setOf("phone", "mobile", "cell", "telephone"))
	if phone {
		return parseDigits(u, 7)
	}
	// Other numbers only when the caller names them: "order number 12345".
	toks := setOf(tokenize(u)...)
	named := false
	for _, w := range words {
		if w != "number" && w != "id" && toks[w] {
			named = true
		}
	}
	if !named {
		return nil, false
	}
	return parseDigits(u, 4)
}

func isAlnum(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// extractNumber takes the first number when asked; otherwise only a number
// followed by a word of the parameter ("for 4 people" fills party_size
// described as "number of people").
func extractNumber(p *param, u string, lenient bool) (any, bool) {
	toks := tokenize(u)
	pc := conceptsOf(splitIdentifier(p.name) + " " + p.desc)
	for i := 0; i < len(toks); i++ {
		v, ord, n := numberAt(toks, i)
		if n == 0 {
			continue
		}
		if lenient && !ord {
			return numberValue(p, v)
		}
		for k := i + n; k < len(toks) && k <= i+n+1; k++ {
			if c := conceptOf(toks[k]); c != "" && pc[c] {
				return numberValue(p, v)
			}
		}
		i += n - 1
	}
	return nil, false
}

func numberValue(p *param, v float64) (any, bool) {
	if p.typ == "integer" {
		if v != float64(int64(v)) {
			return nil, false
		}
		return int64(v), true
	}
	return v, true
}

// arguments encodes the values in the schema's property order.
func (tk *task) arguments() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for _, p := range tk.spec.params {
		v, ok := tk.vals[p.name]
		if !ok {
			continue
		}
		k, err1 := json.Marshal(p.name)
		val, err2 := json.Marshal(v)
		if err1 != nil || err2 != nil {
			continue // values are strings, numbers and bools: always encodable
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(val)
		n++
	}
	b.WriteByte('}')
	return json.RawMessage(b.Bytes())
}

// question asks for the parameter in task.asked, in words derived from
// its kind, description and name.
func (tk *task) question() string {
	if tk.asked < 0 {
		return "How else can I help you?"
	}
	p := tk.spec.params[tk.asked]
	if strings.HasSuffix(p.desc, "?") {
		return p.desc
	}
	label := paramLabel(p)
	switch p.kind {
	case kindDate:
		return "What date would you like?"
	case kindTime:
		return "What time would you like?"
	case kindDateTime:
		if _, ok := tk.dtDate[p.name]; ok {
			return "And what time would you like?"
		}
		return "What date and time would you like?"
	case kindName:
		if personal(label) {
			return "May I have your name, please?"
		}
		return "What's the " + label + "?"
	case kindEmail:
		return "What's your email address?"
	case kindDigits:
		if strings.Contains(label, "phone") || strings.Contains(label, "mobile") {
			return "What's the best phone number to reach you?"
		}
		return "What's the " + label + "?"
	case kindBool:
		if d := strings.TrimRight(strings.TrimSpace(p.desc), "."); d != "" && wordCount(d) <= 8 && !technicalRE.MatchString(d) {
			label = lowerFirst(d) // keep its article: "a high chair"
		}
		return "Would you like " + label + "? Please say yes or no."
	case kindEnum:
		opts := make([]string, len(p.enum))
		for i, e := range p.enum {
			opts[i] = splitIdentifier(e)
		}
		list := opts[0]
		if len(opts) > 1 {
			list = strings.Join(opts[:len(opts)-1], ", ") + " or " + opts[len(opts)-1]
		}
		return "Which " + label + " would you like: " + list + "?"
	case kindNumber:
		if strings.HasPrefix(label, "number of ") {
			return "How many " + strings.TrimPrefix(label, "number of ") + "?"
		}
	}
	return "What's the " + label + "?"
}

// paramLabel is a short noun phrase for a parameter: its description when
// that is short, else its name in words.
func paramLabel(p param) string {
	d := strings.TrimRight(strings.TrimSpace(p.desc), ".")
	if i := strings.IndexAny(d, "(,;:"); i >= 0 {
		d = strings.TrimSpace(d[:i])
	}
	w := strings.Fields(d)
	for i, x := range w {
		if strings.ToUpper(x) != x || len(x) == 1 {
			w[i] = strings.ToLower(x) // acronyms such as ID and ZIP keep their capitals
		}
	}
	for len(w) > 0 && (w[0] == "the" || w[0] == "a" || w[0] == "an" || w[0] == "your") {
		w = w[1:]
	}
	if len(w) == 0 || len(w) > 6 || technicalRE.MatchString(d) {
		return splitIdentifier(p.name)
	}
	return strings.Join(w, " ")
}

// personal reports a label that means the caller's own name.
func personal(label string) bool {
	for _, w := range strings.Fields(label) {
		switch w {
		case "name", "full", "first", "last", "customer", "customer's", "caller", "caller's", "user", "user's",
			"patient", "patient's", "contact", "guest", "client", "your", "of", "the", "person":
		default:
			return false
		}
	}
	return true
}

// summary reads the values back for confirmation.
func (tk *task) summary() string {
	parts := []string{splitIdentifier(tk.spec.tool.Name)}
	for _, p := range tk.spec.params {
		v, ok := tk.vals[p.name]
		if !ok {
			continue
		}
		if a, ok := v.([]any); ok && len(a) == 1 {
			v = a[0]
		}
		sv := spokenValue(v)
		switch p.kind {
		case kindDate:
			parts = append(parts, "on "+sv)
		case kindTime:
			parts = append(parts, "at "+sv)
		case kindDateTime:
			if s, ok := v.(string); ok {
				if d, err := time.Parse(time.RFC3339, s); err == nil {
					sv = spokenDate(d) + " at " + clock{d.Hour(), d.Minute()}.spoken()
				}
			}
			parts = append(parts, "on "+sv)
		case kindName:
			if personal(paramLabel(p)) {
				parts = append(parts, "for "+sv)
				continue
			}
			parts = append(parts, paramLabel(p)+" "+sv)
		default:
			parts = append(parts, paramLabel(p)+" "+sv)
		}
	}
	return parts[0] + " " + strings.Join(parts[1:], ", ")
}

var (
	endWords  = setOf("bye", "goodbye", "byebye", "hangup")
	endStrong = [][]string{{"good", "bye"}, {"hang", "up"}, {"end", "the", "call"}, {"end", "call"},
		{"talk", "to", "you", "later"}, {"have", "a", "good", "day"}, {"have", "a", "nice", "day"}, {"have", "a", "great", "day"}}
	endWeak = [][]string{{"thats", "all"}, {"that", "is", "all"}, {"thats", "it"}, {"that", "is", "it"},
		{"nothing", "else"}, {"im", "done"}, {"im", "all", "set"}, {"no", "thanks"}, {"no", "thank", "you"}}
)

// isEnding decides the caller is done. "Bye" and "hang up" always end the
// call; "that's it" and "no thanks" do so only when no question of a task
// is pending (to a read-back, "yes, that's it" is a yes). A plain no to
// "anything else?" ends it too.
func isEnding(toks []string, prev string, pending bool) bool {
	if hasAny(toks, endWords) {
		return true
	}
	for _, p := range endStrong {
		if hasPhrase(toks, p...) {
			return true
		}
	}
	if pending {
		return false
	}
	for _, p := range endWeak {
		if hasPhrase(toks, p...) {
			return true
		}
	}
	if strings.Contains(strings.ToLower(prev), "anything else") {
		if yes, ok := parseBool(strings.Join(toks, " ")); ok && !yes && len(conceptsOf(strings.Join(toks, " "))) == 0 {
			return true
		}
	}
	return false
}

// isAbort recognises a caller dropping the task in progress.
func isAbort(toks []string) bool {
	for _, p := range [][]string{{"never", "mind"}, {"nevermind"}, {"forget", "it"}, {"forget", "about", "it"},
		{"cancel", "that"}, {"cancel", "it"}, {"dont", "bother"}, {"stop", "that"}} {
		if hasPhrase(toks, p...) {
			return true
		}
	}
	return len(toks) == 1 && (toks[0] == "cancel" || toks[0] == "stop")
}

var questionStarts = setOf("what", "whats", "when", "whens", "where", "wheres", "how", "hows", "why", "who",
	"whos", "which", "do", "does", "did", "can", "could", "is", "are", "will", "would", "should", "may", "have", "has", "isnt", "arent", "dont", "doesnt")

// isQuestion spots a question by its first word (after fillers), a
// question mark, or "tell me".
func isQuestion(s string) bool {
	if strings.HasSuffix(strings.TrimSpace(s), "?") {
		return true
	}
	toks := tokenize(s)
	for len(toks) > 0 && setOf("um", "uh", "so", "and", "oh", "ok", "okay", "well", "hi", "hello", "hey", "yes", "yeah", "also")[toks[0]] {
		toks = toks[1:]
	}
	if len(toks) > 0 && questionStarts[toks[0]] {
		return true
	}
	return hasPhrase(toks, "tell", "me") || hasPhrase(toks, "want", "to", "know") || hasPhrase(toks, "wondering")
}

func isRepeatRequest(toks []string) bool {
	for _, p := range [][]string{{"repeat"}, {"say", "that", "again"}, {"say", "it", "again"}, {"come", "again"},
		{"pardon"}, {"what", "did", "you", "say"}} {
		if hasPhrase(toks, p...) {
			return true
		}
	}
	return false
}

var smallTalkWords = setOf("hi", "hello", "hey", "hiya", "howdy", "there", "good", "morning", "afternoon", "evening",
	"how", "are", "you", "doing", "today", "whats", "up", "its", "me", "thanks", "thank", "so", "much", "very",
	"um", "uh", "oh", "ok", "okay", "well", "great", "yes", "yeah", "is", "going", "it", "hows", "alright", "cool")

// smallTalk classifies an utterance made only of greeting, thanks and
// acknowledgement words: "how" (asked how the agent is), "greeting",
// "thanks", "ack", or "".
func smallTalk(toks []string) string {
	for _, t := range toks {
		if !smallTalkWords[t] {
			return ""
		}
	}
	switch {
	case hasPhrase(toks, "how", "are", "you") || hasPhrase(toks, "how", "is", "it", "going") || hasPhrase(toks, "hows", "it", "going"):
		return "how"
	case hasAny(toks, setOf("thanks", "thank")):
		return "thanks"
	case hasAny(toks, setOf("hi", "hello", "hey", "hiya", "howdy", "morning", "afternoon", "evening")):
		return "greeting"
	case hasAny(toks, setOf("ok", "okay", "great", "alright", "cool")):
		return "ack"
	}
	return ""
}
