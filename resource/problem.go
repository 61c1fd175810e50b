package resource

import (
	"errors"
	"fmt"
)

// Code is a public error code of the API.
type Code string

// The API's error codes (DESIGN.md "API conventions").
const (
	CodeNotFound            Code = "NOT_FOUND"
	CodeValidation          Code = "VALIDATION_ERROR"
	CodeUnauthorized        Code = "UNAUTHORIZED"
	CodeRateLimited         Code = "RATE_LIMITED"
	CodeProviderUnavailable Code = "PROVIDER_UNAVAILABLE"
	CodeInternal            Code = "INTERNAL_ERROR"
)

// FieldError names one invalid field of a request body by its JSON path.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem is an error that is also data: it crosses actor (and later node)
// boundaries intact, and the transport renders it as the API's error body.
type Problem struct {
	Code    Code         `json:"code"`
	Message string       `json:"message"`
	Details []FieldError `json:"details,omitempty"`
	// Status overrides the HTTP status the code maps to (413 for a body
	// that is too large, say); zero means the code's own.
	Status int `json:"-"`
}

func (p *Problem) Error() string { return string(p.Code) + ": " + p.Message }

// NotFound is the Problem for a missing resource of the given kind.
func NotFound(kind string) *Problem {
	return &Problem{Code: CodeNotFound, Message: kind + " not found"}
}

// Invalid is a validation Problem carrying per-field details.
func Invalid(details ...FieldError) *Problem {
	msg := "request is invalid"
	if len(details) == 1 {
		msg = details[0].Field + ": " + details[0].Message
	} else if len(details) > 1 {
		msg = fmt.Sprintf("%d fields are invalid", len(details))
	}
	return &Problem{Code: CodeValidation, Message: msg, Details: details}
}

// Internal wraps an unexpected error without exposing its text: the cause is
// for logs, never for responses.
func Internal() *Problem {
	return &Problem{Code: CodeInternal, Message: "internal error"}
}

// AsProblem returns err as a *Problem, or nil when it is not one.
func AsProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return nil
}
