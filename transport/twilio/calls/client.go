package calls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultBaseURL is Twilio's REST API.
const DefaultBaseURL = "https://api.twilio.com"

// maxBody bounds how much of a response is read; Twilio's documents are a
// few kilobytes.
const maxBody = 1 << 20

// ErrInvalidParams means a request was refused before being sent because
// its parameters cannot make a valid Twilio request.
var ErrInvalidParams = errors.New("calls: invalid parameters")

// Client places and ends calls through the Twilio REST API. Its fields are
// read on every request; don't change them concurrently with one.
type Client struct {
	BaseURL    string       // DefaultBaseURL when empty
	AccountSID string       // AC…, also the Basic-auth user
	AuthToken  string       // the Basic-auth password; never logged or returned
	HTTP       *http.Client // http.DefaultClient when nil
}

// CallParams describes an outbound call. To, From and exactly one of URL
// and Twiml are required.
type CallParams struct {
	To   string // E.164 number, SIP URI or client identifier
	From string // a Twilio number or verified caller ID
	// URL is fetched by Twilio for the call's TwiML when it is answered.
	URL string
	// Twiml is inline TwiML used instead of URL.
	Twiml                string
	StatusCallback       string
	StatusCallbackEvents []string // initiated, ringing, answered, completed
	MachineDetection     string   // "Enable" or "DetectMessageEnd"; empty for none
	AsyncAMD             bool     // report answering-machine detection asynchronously
	Record               bool
	Timeout              int // seconds to let the call ring; 0 for Twilio's default (60)
}

// Call is the part of Twilio's Call resource that Switchboard uses.
type Call struct {
	SID           string `json:"sid"`
	AccountSID    string `json:"account_sid"`
	ParentCallSID string `json:"parent_call_sid"`
	Status        string `json:"status"` // queued, ringing, in-progress, completed, …
	Direction     string `json:"direction"`
	To            string `json:"to"`
	From          string `json:"from"`
	AnsweredBy    string `json:"answered_by"`
}

// Error is an error answer from Twilio.
type Error struct {
	StatusCode int    // HTTP status
	Code       int    `json:"code"` // Twilio error code, e.g. 21211; 0 if the body had none
	Message    string `json:"message"`
	MoreInfo   string `json:"more_info"`
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("twilio: HTTP %d, error %d: %s", e.StatusCode, e.Code, e.Message)
	}
	return fmt.Sprintf("twilio: HTTP %d: %s", e.StatusCode, e.Message)
}

// CreateCall places an outbound call.
func (c *Client) CreateCall(ctx context.Context, p CallParams) (Call, error) {
	form, err := p.form()
	if err != nil {
		return Call{}, err
	}
	var call Call
	if err := c.post(ctx, "/Calls.json", form, &call); err != nil {
		return Call{}, fmt.Errorf("calls: create call: %w", err)
	}
	return call, nil
}

// Hangup ends a call, whatever its state, by setting its status to
// completed. It returns the updated call.
func (c *Client) Hangup(ctx context.Context, callSID string) (Call, error) {
	if callSID == "" {
		return Call{}, fmt.Errorf("%w: empty call SID", ErrInvalidParams)
	}
	var call Call
	form := url.Values{"Status": {"completed"}}
	if err := c.post(ctx, "/Calls/"+url.PathEscape(callSID)+".json", form, &call); err != nil {
		return Call{}, fmt.Errorf("calls: hang up %s: %w", callSID, err)
	}
	return call, nil
}

func (p CallParams) form() (url.Values, error) {
	switch {
	case p.To == "" || p.From == "":
		return nil, fmt.Errorf("%w: To and From are required", ErrInvalidParams)
	case (p.URL == "") == (p.Twiml == ""):
		return nil, fmt.Errorf("%w: exactly one of URL and Twiml is required", ErrInvalidParams)
	case p.Timeout < 0:
		return nil, fmt.Errorf("%w: negative Timeout", ErrInvalidParams)
	}
	f := url.Values{"To": {p.To}, "From": {p.From}}
	if p.URL != "" {
		f.Set("Url", p.URL)
	} else {
		f.Set("Twiml", p.Twiml)
	}
	if p.StatusCallback != "" {
		f.Set("StatusCallback", p.StatusCallback)
	}
	for _, e := range p.StatusCallbackEvents {
		f.Add("StatusCallbackEvent", e)
	}
	if p.MachineDetection != "" {
		f.Set("MachineDetection", p.MachineDetection)
	}
	if p.AsyncAMD {
		f.Set("AsyncAmd", "true")
	}
	if p.Record {
		f.Set("Record", "true")
	}
	if p.Timeout > 0 {
		f.Set("Timeout", strconv.Itoa(p.Timeout))
	}
	return f, nil
}

// post sends form to the account-relative path and decodes a 2xx answer
// into out.
func (c *Client) post(ctx context.Context, path string, form url.Values, out any) error {
	if c.AccountSID == "" || c.AuthToken == "" {
		return fmt.Errorf("%w: account SID and auth token are required", ErrInvalidParams)
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	endpoint := strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(c.AccountSID) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.AccountSID, c.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{}
		if json.Unmarshal(body, e) != nil || e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
		e.StatusCode = resp.StatusCode
		return e
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decoding response: %w", err)
	}
	return nil
}
