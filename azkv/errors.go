package azkv

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// defaultCredential is the default Azure chain: environment
// (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET…), workload
// identity, managed identity, Azure CLI, Azure Developer CLI. No request is
// sent until a token is asked for.
func defaultCredential() (azcore.TokenCredential, error) {
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return nil, fmt.Errorf("the Azure credential chain: %s", firstLine(err.Error()))
	}
	return cred, nil
}

// credentialError is a failed token request in one line: no credential
// at all, or one that Azure refused.
func (s *Source) credentialError(err error) error {
	var refused *azidentity.AuthenticationFailedError
	if errors.As(err, &refused) {
		return tagged(ErrAccessDenied, "Azure refused the credentials for %s: %s", s.URI(), firstLine(refused.Error()))
	}
	return tagged(ErrNoCredentials, "no Azure credentials for %s: run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or use a managed identity", s.URI())
}

// explain turns an SDK error into one line that says what to fix. It never
// quotes a response body beyond Key Vault's error code.
func (s *Source) explain(err error) error {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return tagged(ErrAccessDenied, "Key Vault %s refused access (%d %s): give this identity the role Key Vault Secrets User (or an access policy that allows get and list on secrets)", s.vault, re.StatusCode, re.ErrorCode)
		case http.StatusTooManyRequests:
			return tagged(ErrThrottled, "Key Vault %s throttled the requests (429) longer than secretdeck waits: try again in a minute", s.vault)
		case http.StatusNotFound:
			return fmt.Errorf("vault %s: not found (%s)", s.vault, re.ErrorCode)
		}
		return fmt.Errorf("vault %s answered %d %s", s.vault, re.StatusCode, re.ErrorCode)
	}
	var refused *azidentity.AuthenticationFailedError
	if errors.As(err, &refused) || strings.Contains(err.Error(), "failed to acquire a token") {
		return s.credentialError(err)
	}
	msg := err.Error()
	if strings.Contains(msg, "no such host") {
		return fmt.Errorf("no Key Vault at %s (the name does not resolve): check --source", s.vault)
	}
	return fmt.Errorf("vault %s: %s", s.vault, firstLine(msg))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

// taggedError is a message that says what to fix, matching a sentinel for
// errors.Is without repeating the sentinel's words.
type taggedError struct {
	msg      string
	sentinel error
}

func (e *taggedError) Error() string { return e.msg }
func (e *taggedError) Unwrap() error { return e.sentinel }

func tagged(sentinel error, format string, args ...any) error {
	return &taggedError{msg: fmt.Sprintf(format, args...), sentinel: sentinel}
}

func isNotFound(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}
