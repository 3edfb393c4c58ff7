package tcpcheck

import "testing"

func TestHostPort(t *testing.T) {
	tests := []struct {
		in, want, host string
		wantErr        bool
	}{
		{"konnektor.local:8443", "konnektor.local:8443", "konnektor.local", false},
		{"konnektor.local", "konnektor.local:443", "konnektor.local", false},
		{"10.0.0.1", "10.0.0.1:443", "10.0.0.1", false},
		{"::1", "[::1]:443", "::1", false},
		{"[::1]", "[::1]:443", "::1", false},
		{"[::1]:8443", "[::1]:8443", "::1", false},
		{"", "", "", true},
		{"a:b:c", "", "", true},
		{":443", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, host, err := HostPort(tt.in, "443")
			if (err != nil) != tt.wantErr {
				t.Fatalf("error: got %v; want error %v", err, tt.wantErr)
			}
			if got != tt.want || host != tt.host {
				t.Errorf("got %q, %q; want %q, %q", got, host, tt.want, tt.host)
			}
		})
	}
}
