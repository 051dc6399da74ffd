package cli

import (
	"testing"

	"github.com/secretdeck/secretdeck/internal/testrig"
)

// TestSourceSchemesErrorsAreOneLine: an azkv:// source without Azure
// credentials (the real default chain, limited to the environment so that
// nothing runs and nothing is sent), a vault name Key Vault would refuse and
// an unknown scheme each give one line that says what to do.
func TestSourceSchemesErrorsAreOneLine(t *testing.T) {
	manager := testrig.Docker(t)
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_FEDERATED_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"no Azure credentials", []string{"status", "--host", manager, "--source", "azkv://sdtest-vault", "--env", "prod"},
			[]string{"no Azure credentials for azkv://sdtest-vault", "az login"}},
		{"drift without Azure credentials", []string{"drift", "--host", manager, "--source", "azkv://sdtest-vault/team"},
			[]string{"no Azure credentials for azkv://sdtest-vault/team"}},
		{"not a vault name", []string{"status", "--host", manager, "--source", "azkv://my_vault"},
			[]string{`"my_vault" is not a Key Vault name`}},
		{"unknown scheme", []string{"status", "--host", manager, "--source", "vault://x/y"},
			[]string{"unknown scheme vault://", "azkv://vault"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertOneLineError(t, runCLI(t, tc.args...), tc.want...)
		})
	}
}
