package nut

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestServerProtocol talks raw protocol lines to a Server over loopback and
// compares the answers with what upsd 2.8 sends.
func TestServerProtocol(t *testing.T) {
	s := startServer(t)
	s.SetVars("ups", map[string]string{"ups.status": "OL", "battery.charge": "97"})
	s.SetDescription("ups", `Keller "USV"`)
	conn, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)

	tests := []struct {
		send string
		want []string
	}{
		{"VER", []string{ServerVersion}},
		{"NETVER", []string{"1.3"}},
		{"LIST UPS", []string{"BEGIN LIST UPS", `UPS ups "Keller \"USV\""`, "END LIST UPS"}},
		{"LIST VAR ups", []string{"BEGIN LIST VAR ups", `VAR ups battery.charge "97"`, `VAR ups ups.status "OL"`, "END LIST VAR ups"}},
		{`GET VAR "ups" ups.status`, []string{`VAR ups ups.status "OL"`}},
		{"GET VAR ups nope", []string{"ERR VAR-NOT-SUPPORTED"}},
		{"LIST VAR other", []string{"ERR UNKNOWN-UPS"}},
		{"LIST VAR", []string{"ERR INVALID-ARGUMENT"}},
		{"FOO", []string{"ERR UNKNOWN-COMMAND"}},
		{`LIST VAR "ups`, []string{"ERR INVALID-ARGUMENT"}},
		{"USERNAME a", []string{"OK"}},
		{"USERNAME b", []string{"ERR ALREADY-SET-USERNAME"}},
		{"PASSWORD p", []string{"OK"}},
		{"STARTTLS", []string{"ERR FEATURE-NOT-CONFIGURED"}},
		{"LOGOUT", []string{"OK Goodbye"}},
	}
	for _, tt := range tests {
		if _, err := conn.Write([]byte(tt.send + "\n")); err != nil {
			t.Fatalf("send %q: %v", tt.send, err)
		}
		var got []string
		for range tt.want {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("after %q: read: %v (got so far %q)", tt.send, err, got)
			}
			got = append(got, strings.TrimSuffix(line, "\n"))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q got %q; want %q", tt.send, got, tt.want)
		}
	}
	if _, err := r.ReadString('\n'); err == nil {
		t.Errorf("connection still open after LOGOUT; want it closed")
	}
}

func TestServerRefusesLongLines(t *testing.T) {
	s := startServer(t)
	conn, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = conn.Write([]byte(strings.Repeat("A", MaxLineLength*2) + "\n")) }()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "ERR TOO-LONG\n" {
		t.Errorf("answer to an endless line got %q, %v; want %q", line, err, "ERR TOO-LONG\n")
	}
}

func TestServerCloseEndsConnections(t *testing.T) {
	s := NewServer(nil)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Make sure the connection is being served before closing.
	_, _ = conn.Write([]byte("VER\n"))
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close got %v; want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return; want it to end open connections")
	}
	if _, err := r.ReadString('\n'); err == nil {
		t.Errorf("connection open after Close; want it closed")
	}
	if err := s.Listen("127.0.0.1:0"); err == nil {
		t.Errorf("Listen after Close got nil; want an error")
	}
}

// FuzzServerAnswer feeds arbitrary request lines to the server logic: it
// must never panic, and every answer line must be one valid protocol line.
func FuzzServerAnswer(f *testing.F) {
	for _, s := range []string{
		"LIST VAR ups", "GET VAR ups ups.status", `GET VAR "ups" "ups.status"`,
		"USERNAME x", "PASSWORD y", "LIST UPS", "VER", "LOGOUT", `"`, `\`, "", "list var ups",
	} {
		f.Add(s)
	}
	s := NewServer(nil)
	s.SetVars("ups", map[string]string{"ups.status": "OL", "weird": "a\"b\\c\nd"})
	s.SetStale("stale", true)
	f.Fuzz(func(t *testing.T, line string) {
		var sess session
		lines, _ := s.answer(&sess, line)
		for _, l := range lines {
			if strings.ContainsAny(l, "\r\n\x00") {
				t.Fatalf("answer to %q has a line break: %q", line, l)
			}
			if _, err := SplitLine(l); err != nil {
				t.Fatalf("answer to %q is not a valid line %q: %v", line, l, err)
			}
		}
	})
}
