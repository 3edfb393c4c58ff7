package nut

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func startServer(t *testing.T) *Server {
	t.Helper()
	s := NewServer(nil)
	s.SetVars("ups", map[string]string{
		"ups.status":      "OL",
		"battery.charge":  "100",
		"battery.runtime": "2400",
		"ups.mfr":         `Eaton "5E" \ 650`,
		"ups.note":        "",
	})
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func dial(t *testing.T, addr string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestClientAgainstServer(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.Addr())
	ctx := ctx5(t)

	got, err := c.ListVars(ctx, "ups")
	if err != nil {
		t.Fatalf("ListVars: %v", err)
	}
	want := s.Vars("ups")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListVars got %v; want %v (-want +got)\n%s", got, want, diff)
	}

	v, err := c.GetVar(ctx, "ups", "ups.mfr")
	if err != nil || v != `Eaton "5E" \ 650` {
		t.Errorf("GetVar(ups.mfr) got %q, %v; want %q", v, err, `Eaton "5E" \ 650`)
	}
	ver, err := c.Version(ctx)
	if err != nil || ver != ServerVersion {
		t.Errorf("Version got %q, %v; want %q", ver, err, ServerVersion)
	}

	// Changes at run time are visible on the same connection.
	s.SetVar("ups", "ups.status", "OB LB")
	v, err = c.GetVar(ctx, "ups", "ups.status")
	if err != nil || v != "OB LB" {
		t.Errorf("GetVar after change got %q, %v; want %q", v, err, "OB LB")
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(s *Server)
		ups       string
		wantCode  string
		wantStale bool
	}{
		{name: "unknown ups", ups: "nope", wantCode: CodeUnknownUPS},
		{name: "stale data", setup: func(s *Server) { s.SetStale("ups", true) }, ups: "ups", wantCode: CodeDataStale, wantStale: true},
		{name: "driver gone", setup: func(s *Server) { s.SetDriverConnected("ups", false) }, ups: "ups", wantCode: CodeDriverNotConnected, wantStale: true},
		{name: "login required", setup: func(s *Server) { s.RequireLogin("mon", "secret") }, ups: "ups", wantCode: CodeAccessDenied},
		{name: "ups removed", setup: func(s *Server) { s.RemoveUPS("ups") }, ups: "ups", wantCode: CodeUnknownUPS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			c := dial(t, s.Addr())
			_, err := c.ListVars(ctx5(t), tt.ups)
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("ListVars error got %v; want *ProtocolError", err)
			}
			if pe.Code != tt.wantCode || pe.Stale() != tt.wantStale {
				t.Errorf("got code %s stale %v; want %s stale %v", pe.Code, pe.Stale(), tt.wantCode, tt.wantStale)
			}
			if !HasCode(err, tt.wantCode) {
				t.Errorf("HasCode(err, %s) got false; want true", tt.wantCode)
			}
			// The connection stays usable after an ERR answer.
			if _, err := c.Version(ctx5(t)); err != nil {
				t.Errorf("Version after ERR: %v", err)
			}
		})
	}
}

func TestClientLogin(t *testing.T) {
	s := startServer(t)
	s.RequireLogin("mon", `pa ss"word`)

	c := dial(t, s.Addr())
	if err := c.Login(ctx5(t), "mon", `pa ss"word`); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if _, err := c.ListVars(ctx5(t), "ups"); err != nil {
		t.Errorf("ListVars after login got %v; want no error", err)
	}

	bad := dial(t, s.Addr())
	if err := bad.Login(ctx5(t), "mon", "wrong"); err != nil {
		t.Fatalf("Login with wrong password: %v (upsd answers OK and refuses later)", err)
	}
	if _, err := bad.ListVars(ctx5(t), "ups"); !HasCode(err, CodeAccessDenied) {
		t.Errorf("ListVars with wrong password got %v; want ERR ACCESS-DENIED", err)
	}
	if err := bad.Login(ctx5(t), "mon", "again"); !HasCode(err, CodeAlreadySetUsername) {
		t.Errorf("second Login got %v; want ERR ALREADY-SET-USERNAME", err)
	}
	if err := c.Login(ctx5(t), "a\nLIST UPS", "x"); err == nil {
		t.Errorf("Login with a line break in the name got no error; want one")
	}
}

// rawServer accepts one connection on loopback and hands it to handle.
func rawServer(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		handle(c)
	}()
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func TestClientMisbehavingServers(t *testing.T) {
	tests := []struct {
		name    string
		answer  string // sent after the first request line; then the server closes
		wantErr string
	}{
		{name: "closes mid list", answer: "BEGIN LIST VAR ups\nVAR ups a \"1\"\n", wantErr: "closed the connection"},
		{name: "wrong ups in list", answer: "BEGIN LIST VAR ups\nVAR other a \"1\"\nEND LIST VAR ups\n", wantErr: "for UPS \"other\""},
		{name: "garbage line", answer: "BEGIN LIST VAR ups\nHELLO\n", wantErr: "unexpected line"},
		{name: "unterminated quote", answer: "BEGIN LIST VAR ups\nVAR ups a \"1\n", wantErr: "quoted value"},
		{name: "wrong begin", answer: "BEGIN LIST UPS\n", wantErr: "want \"BEGIN LIST VAR ups\""},
		{name: "endless line", answer: "BEGIN LIST VAR ups\nVAR ups a \"" + strings.Repeat("x", MaxLineLength+10) + "\"\n", wantErr: "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := rawServer(t, func(c net.Conn) {
				_, _ = bufio.NewReader(c).ReadString('\n')
				_, _ = c.Write([]byte(tt.answer))
			})
			c := dial(t, addr)
			_, err := c.ListVars(ctx5(t), "ups")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ListVars error got %v; want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestClientHonoursContext(t *testing.T) {
	release := make(chan struct{})
	addr := rawServer(t, func(c net.Conn) { <-release }) // never answers
	defer close(release)
	c := dial(t, addr)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ListVars(ctx, "ups")
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ListVars against a silent server got %v; want a deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("ListVars returned after %v; want about 200ms", d)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel2() }()
	_, err = c.GetVar(ctx2, "ups", "ups.status")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("GetVar with cancelled context got %v; want context.Canceled", err)
	}
}

func TestCloseSendsLogout(t *testing.T) {
	got := make(chan string, 1)
	addr := rawServer(t, func(c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		_, _ = c.Write([]byte("OK Goodbye\n"))
		got <- line
	})
	ctx := ctx5(t)
	c, err := Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case l := <-got:
		if l != "LOGOUT\n" {
			t.Errorf("server got %q; want %q", l, "LOGOUT\n")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("server got nothing; want LOGOUT")
	}
}

func TestDialFailureAndDefaultPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	if _, err := Dial(ctx5(t), addr); err == nil || !strings.Contains(err.Error(), "upsd") {
		t.Errorf("Dial to a closed port got %v; want an error naming upsd", err)
	}
	tests := []struct{ in, want string }{
		{"127.0.0.1", "127.0.0.1:3493"},
		{"nas.local", "nas.local:3493"},
		{"127.0.0.1:1234", "127.0.0.1:1234"},
		{"::1", "[::1]:3493"},
		{"[::1]", "[::1]:3493"},
		{"[::1]:99", "[::1]:99"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := WithDefaultPort(tt.in); got != tt.want {
				t.Errorf("WithDefaultPort(%q) got %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}
