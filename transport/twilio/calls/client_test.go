package calls

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "tok-s3cr3t-9f8e7d"
)

// fakeTwilio stands in for api.twilio.com: it checks what every request
// must carry and hands the form to handle, whose answer it sends.
type fakeTwilio struct {
	t        *testing.T
	requests atomic.Int32
	handle   func(path string, form url.Values) (status int, body string)
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	user, pass, ok := r.BasicAuth()
	if !ok || user != testSID || pass != testToken {
		f.t.Errorf("basic auth = %q, %q, %v", user, pass, ok)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost {
		f.t.Errorf("method %s, want POST", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("Content-Type %q", ct)
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		f.t.Errorf("body %q is not a form: %v", body, err)
	}
	status, answer := f.handle(r.URL.EscapedPath(), form)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

func newClient(t *testing.T, handle func(string, url.Values) (int, string)) (*Client, *fakeTwilio) {
	f := &fakeTwilio{t: t, handle: handle}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &Client{BaseURL: srv.URL + "/", AccountSID: testSID, AuthToken: testToken, HTTP: srv.Client()}, f
}

func TestCreateCall(t *testing.T) {
	var gotPath string
	var gotForm url.Values
	c, _ := newClient(t, func(path string, form url.Values) (int, string) {
		gotPath, gotForm = path, form
		return http.StatusCreated, `{"sid":"CA42","account_sid":"` + testSID + `","status":"queued","direction":"outbound-api","to":"+15550199","from":"+15550100","parent_call_sid":null,"answered_by":null}`
	})
	call, err := c.CreateCall(context.Background(), CallParams{
		To: "+15550199", From: "+15550100",
		URL:                  "https://sb.example/v1/sessions/twilio?task=task_1",
		StatusCallback:       "https://sb.example/v1/tasks/status",
		StatusCallbackEvents: []string{"initiated", "ringing", "answered", "completed"},
		MachineDetection:     "DetectMessageEnd",
		AsyncAMD:             true,
		Record:               true,
		Timeout:              25,
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/2010-04-01/Accounts/" + testSID + "/Calls.json"; gotPath != want {
		t.Errorf("path %q, want %q", gotPath, want)
	}
	wantForm := url.Values{
		"To":                  {"+15550199"},
		"From":                {"+15550100"},
		"Url":                 {"https://sb.example/v1/sessions/twilio?task=task_1"},
		"StatusCallback":      {"https://sb.example/v1/tasks/status"},
		"StatusCallbackEvent": {"initiated", "ringing", "answered", "completed"},
		"MachineDetection":    {"DetectMessageEnd"},
		"AsyncAmd":            {"true"},
		"Record":              {"true"},
		"Timeout":             {"25"},
	}
	if !reflect.DeepEqual(gotForm, wantForm) {
		t.Errorf("form\n got %v\nwant %v", gotForm, wantForm)
	}
	want := Call{SID: "CA42", AccountSID: testSID, Status: "queued", Direction: "outbound-api", To: "+15550199", From: "+15550100"}
	if call != want {
		t.Errorf("call %+v, want %+v", call, want)
	}
}

func TestCreateCallMinimal(t *testing.T) {
	var gotForm url.Values
	c, _ := newClient(t, func(_ string, form url.Values) (int, string) {
		gotForm = form
		return http.StatusCreated, `{"sid":"CA1"}`
	})
	twiml := `<Response><Say>Hi</Say></Response>`
	if _, err := c.CreateCall(context.Background(), CallParams{To: "+1", From: "+2", Twiml: twiml}); err != nil {
		t.Fatal(err)
	}
	want := url.Values{"To": {"+1"}, "From": {"+2"}, "Twiml": {twiml}}
	if !reflect.DeepEqual(gotForm, want) {
		t.Errorf("form %v, want %v (unset options must not be sent)", gotForm, want)
	}
}

func TestHangup(t *testing.T) {
	var gotPath string
	var gotForm url.Values
	c, _ := newClient(t, func(path string, form url.Values) (int, string) {
		gotPath, gotForm = path, form
		return http.StatusOK, `{"sid":"CA42","status":"completed"}`
	})
	call, err := c.Hangup(context.Background(), "CA42")
	if err != nil {
		t.Fatal(err)
	}
	if want := "/2010-04-01/Accounts/" + testSID + "/Calls/CA42.json"; gotPath != want {
		t.Errorf("path %q, want %q", gotPath, want)
	}
	if want := (url.Values{"Status": {"completed"}}); !reflect.DeepEqual(gotForm, want) {
		t.Errorf("form %v, want %v", gotForm, want)
	}
	if call.Status != "completed" {
		t.Errorf("status %q", call.Status)
	}
}

func TestHangupEscapesSID(t *testing.T) {
	var gotPath string
	c, _ := newClient(t, func(path string, _ url.Values) (int, string) {
		gotPath = path
		return http.StatusOK, `{}`
	})
	if _, err := c.Hangup(context.Background(), "CA1/../../Messages"); err != nil {
		t.Fatal(err)
	}
	if want := "/2010-04-01/Accounts/" + testSID + "/Calls/CA1%2F..%2F..%2FMessages.json"; gotPath != want {
		t.Errorf("path %q, want %q", gotPath, want)
	}
}

func TestTwilioErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Error
	}{
		{"twilio error", 400, `{"code":21211,"message":"The 'To' number +1 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`,
			Error{StatusCode: 400, Code: 21211, Message: "The 'To' number +1 is not a valid phone number.", MoreInfo: "https://www.twilio.com/docs/errors/21211"}},
		{"auth error", 401, `{"code":20003,"message":"Authenticate","status":401}`,
			Error{StatusCode: 401, Code: 20003, Message: "Authenticate"}},
		{"not json", 502, `<html>bad gateway</html>`, Error{StatusCode: 502, Message: "Bad Gateway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newClient(t, func(string, url.Values) (int, string) { return tt.status, tt.body })
			_, err := c.CreateCall(context.Background(), CallParams{To: "+1", From: "+2", URL: "https://x.example"})
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if *te != tt.want {
				t.Errorf("got %+v, want %+v", *te, tt.want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q leaks the auth token", err)
			}
		})
	}
}

func TestNetworkErrorHidesToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens any more
	c := &Client{BaseURL: srv.URL, AccountSID: testSID, AuthToken: testToken}
	_, err := c.Hangup(context.Background(), "CA1")
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error %q leaks the auth token", err)
	}
}

func TestInvalidParams(t *testing.T) {
	tests := []struct {
		name    string
		noCreds bool
		p       CallParams
	}{
		{"no To", false, CallParams{From: "+2", URL: "https://x.example"}},
		{"no From", false, CallParams{To: "+1", URL: "https://x.example"}},
		{"no URL or Twiml", false, CallParams{To: "+1", From: "+2"}},
		{"both URL and Twiml", false, CallParams{To: "+1", From: "+2", URL: "https://x.example", Twiml: "<Response/>"}},
		{"negative timeout", false, CallParams{To: "+1", From: "+2", URL: "https://x.example", Timeout: -1}},
		{"no credentials", true, CallParams{To: "+1", From: "+2", URL: "https://x.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newClient(t, func(string, url.Values) (int, string) { return 201, `{}` })
			if tt.noCreds {
				c.AccountSID, c.AuthToken = "", ""
			}
			if _, err := c.CreateCall(context.Background(), tt.p); !errors.Is(err, ErrInvalidParams) {
				t.Errorf("err = %v, want ErrInvalidParams", err)
			}
			if n := f.requests.Load(); n != 0 {
				t.Errorf("%d requests sent for invalid parameters", n)
			}
		})
	}
	c, f := newClient(t, func(string, url.Values) (int, string) { return 200, `{}` })
	if _, err := c.Hangup(context.Background(), ""); !errors.Is(err, ErrInvalidParams) || f.requests.Load() != 0 {
		t.Errorf("Hangup(\"\") = %v after %d requests", err, f.requests.Load())
	}
}
