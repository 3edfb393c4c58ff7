package tcpcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan struct{}, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()

	tests := []struct {
		name       string
		addr       string
		ctx        func() (context.Context, context.CancelFunc)
		wantStatus check.Status
		wantMsg    string
	}{
		{"listening", ln.Addr().String(), timeout(2 * time.Second), check.StatusOK, "Verbindung hergestellt"},
		{"closed port", closedAddr(t), timeout(2 * time.Second), check.StatusFail, "Verbindung abgelehnt"},
		{"deadline passed", ln.Addr().String(), timeout(-time.Second), check.StatusFail, "Zeitüberschreitung"},
		{"cancelled", ln.Addr().String(), cancelled, check.StatusUnknown, "abgebrochen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(check.Spec{ID: "t", Kind: check.KindTCP, Address: tt.addr}, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			ctx, cancel := tt.ctx()
			defer cancel()
			got := p.Probe(ctx)
			if got.Status != tt.wantStatus {
				t.Errorf("status: got %v (%s); want %v", got.Status, got.Message.DE, tt.wantStatus)
			}
			if !strings.Contains(got.Message.DE, tt.wantMsg) {
				t.Errorf("message: got %q; want it to contain %q", got.Message.DE, tt.wantMsg)
			}
			if got.Message.EN == "" {
				t.Errorf("English message empty; want a translation of %q", got.Message.DE)
			}
			if got.Latency < 0 {
				t.Errorf("latency: got %v; want >= 0", got.Latency)
			}
		})
	}
	select {
	case <-accepted:
	case <-time.After(2 * time.Second):
		t.Errorf("listener saw no connection; want the OK probe to connect")
	}
}

func timeout(d time.Duration) func() (context.Context, context.CancelFunc) {
	return func() (context.Context, context.CancelFunc) { return context.WithTimeout(context.Background(), d) }
}

func cancelled() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx, cancel
}

func TestNewRejectsBadAddress(t *testing.T) {
	for _, addr := range []string{"", "127.0.0.1", ":80", "host:", "a:b:c"} {
		t.Run(addr, func(t *testing.T) {
			if _, err := New(check.Spec{ID: "t", Address: addr}, nil); err == nil {
				t.Errorf("New(%q): got nil error; want an error", addr)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"dns not found", &net.DNSError{Err: "no such host", Name: "erp.local", IsNotFound: true}, "Name „erp.local“ nicht gefunden"},
		{"dns failure", &net.DNSError{Err: "server misbehaving", Name: "erp.local"}, "konnte nicht aufgelöst werden"},
		{"dns timeout", &net.DNSError{Err: "i/o timeout", Name: "erp.local", IsTimeout: true}, "konnte nicht aufgelöst werden"},
		{"refused", opErr(errRefused()[0]), "Verbindung abgelehnt"},
		{"host unreachable", opErr(errHostUnreach()[0]), "Gerät im Netzwerk nicht erreichbar"},
		{"net unreachable", opErr(errNetUnreach()[0]), "Netzwerk nicht erreichbar"},
		{"reset", opErr(errReset()[0]), "abgebrochen"},
		{"eof", fmt.Errorf("read: %w", io.EOF), "vorzeitig geschlossen"},
		{"deadline", fmt.Errorf("dial: %w", context.DeadlineExceeded), "Zeitüberschreitung: keine Antwort nach 1,5 s"},
		{"other", errors.New("something odd"), "Verbindung fehlgeschlagen: something odd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Explain(context.Background(), tt.err, 1500*time.Millisecond)
			if !strings.Contains(got.DE, tt.want) {
				t.Errorf("got %q; want it to contain %q", got.DE, tt.want)
			}
			if got.EN == "" || got.EN == got.DE {
				t.Errorf("English: got %q; want an English sentence", got.EN)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		lang string
		want string
	}{
		{350 * time.Millisecond, "de", "350 ms"},
		{1500 * time.Millisecond, "de", "1,5 s"},
		{1500 * time.Millisecond, "en", "1.5 s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatDuration(tt.d, tt.lang); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestRecover(t *testing.T) {
	got := func() (res check.Result) {
		defer Recover(discard(), time.Now(), &res)
		panic("boom")
	}()
	if got.Status != check.StatusFail {
		t.Errorf("status: got %v; want fail", got.Status)
	}
}
