// Package nut speaks the network protocol of Network UPS Tools (NUT), the
// service that reads a UPS over USB or serial and publishes its state on TCP
// port 3493. It holds a small client (Dial, ListVars, GetVar) used by the
// nut prober, and a small protocol server (Server) that plays a UPS for the
// demo's simulated pharmacy and for tests.
//
// Protocol reference: networkupstools.org, developer guide, chapter
// "Network protocol information" (net-protocol).
package nut

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// DefaultPort is the IANA port of the NUT protocol.
const DefaultPort = "3493"

// maxListEntries bounds a LIST answer so that a broken server cannot make
// the client grow without end.
const maxListEntries = 10000

// logoutTimeout bounds the polite LOGOUT on Close.
const logoutTimeout = time.Second

// Client is one connection to a NUT server (upsd). It is not safe for
// concurrent use.
type Client struct {
	conn net.Conn
	r    *bufio.Reader
}

// WithDefaultPort returns addr with port 3493 added when it names none.
func WithDefaultPort(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(strings.Trim(addr, "[]"), DefaultPort)
}

// Dial connects to the NUT server at addr ("host" or "host:port"; the port
// defaults to 3493). The connection attempt honours ctx.
func Dial(ctx context.Context, addr string) (*Client, error) {
	addr = WithDefaultPort(addr)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to NUT server %s: %w; check that upsd runs and listens on this address", addr, err)
	}
	return &Client{conn: conn, r: bufio.NewReaderSize(conn, 4096)}, nil
}

// Login sends USERNAME and PASSWORD. upsd answers OK to both and checks
// them only when a command needs rights, so a wrong password may surface
// later as ACCESS-DENIED.
func (c *Client) Login(ctx context.Context, username, password string) error {
	u, err := word(username)
	if err != nil {
		return fmt.Errorf("username: %w", err)
	}
	p, err := word(password)
	if err != nil {
		return fmt.Errorf("password: %w", err)
	}
	return c.with(ctx, func() error {
		if err := c.expectOK("USERNAME " + u); err != nil {
			return err
		}
		return c.expectOK("PASSWORD " + p)
	})
}

// Version returns the server's answer to VER, for example
// "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/".
func (c *Client) Version(ctx context.Context) (string, error) {
	var v string
	err := c.with(ctx, func() error {
		line, err := c.roundTrip("VER")
		if err != nil {
			return err
		}
		if pe := parseErr(line, "VER"); pe != nil {
			return pe
		}
		v = line
		return nil
	})
	return v, err
}

// ListVars returns every variable of the UPS ups ("ups.status",
// "battery.charge", ...) by sending LIST VAR. An ERR answer is returned as a
// *ProtocolError; use its Stale method to tell stale data from a failure.
func (c *Client) ListVars(ctx context.Context, ups string) (map[string]string, error) {
	u, err := word(ups)
	if err != nil {
		return nil, fmt.Errorf("UPS name: %w", err)
	}
	cmd := "LIST VAR " + u
	vars := make(map[string]string)
	err = c.with(ctx, func() error {
		line, err := c.roundTrip(cmd)
		if err != nil {
			return err
		}
		if pe := parseErr(line, cmd); pe != nil {
			return pe
		}
		if err := expectWords(line, "BEGIN", "LIST", "VAR", ups); err != nil {
			return err
		}
		for {
			line, err := c.readLine()
			if err != nil {
				return err
			}
			words, err := SplitLine(line)
			if err != nil {
				return fmt.Errorf("answer to %s: %w", cmd, err)
			}
			if len(words) == 4 && words[0] == "END" && words[1] == "LIST" && words[2] == "VAR" && words[3] == ups {
				return nil
			}
			name, value, err := parseVar(words, ups)
			if err != nil {
				return fmt.Errorf("answer to %s: %w", cmd, err)
			}
			if len(vars) >= maxListEntries {
				return fmt.Errorf("answer to %s: more than %d variables; the server is not behaving like upsd", cmd, maxListEntries)
			}
			vars[name] = value
		}
	})
	if err != nil {
		return nil, err
	}
	return vars, nil
}

// GetVar returns one variable of the UPS ups by sending GET VAR.
func (c *Client) GetVar(ctx context.Context, ups, name string) (string, error) {
	u, err := word(ups)
	if err != nil {
		return "", fmt.Errorf("UPS name: %w", err)
	}
	n, err := word(name)
	if err != nil {
		return "", fmt.Errorf("variable name: %w", err)
	}
	cmd := "GET VAR " + u + " " + n
	var value string
	err = c.with(ctx, func() error {
		line, err := c.roundTrip(cmd)
		if err != nil {
			return err
		}
		if pe := parseErr(line, cmd); pe != nil {
			return pe
		}
		words, err := SplitLine(line)
		if err != nil {
			return fmt.Errorf("answer to %s: %w", cmd, err)
		}
		got, v, err := parseVar(words, ups)
		if err != nil {
			return fmt.Errorf("answer to %s: %w", cmd, err)
		}
		if got != name {
			return fmt.Errorf("answer to %s names variable %q", cmd, got)
		}
		value = v
		return nil
	})
	return value, err
}

// Close says LOGOUT (waiting at most a second for the goodbye) and closes
// the connection.
func (c *Client) Close() error {
	_ = c.conn.SetDeadline(time.Now().Add(logoutTimeout))
	if _, err := io.WriteString(c.conn, "LOGOUT\n"); err == nil {
		_, _ = c.readLine() // "OK Goodbye"
	}
	return c.conn.Close()
}

// with runs fn with the connection's deadline taken from ctx; cancelling
// ctx interrupts a blocked read or write.
func (c *Client) with(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dl, _ := ctx.Deadline() // zero means none
	if err := c.conn.SetDeadline(dl); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(interrupted)
		_ = c.conn.SetDeadline(time.Unix(1, 0))
	})
	err := fn()
	if !stop() {
		<-interrupted // let the interruption finish before the next call sets its deadline
	}
	var pe *ProtocolError
	if err == nil || errors.As(err, &pe) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("NUT server did not answer in time: %w", cerr)
	}
	// The connection deadline can fire a moment before ctx reports it.
	var ne net.Error
	if _, has := ctx.Deadline(); has && errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("NUT server did not answer in time: %w", context.DeadlineExceeded)
	}
	return err
}

func (c *Client) roundTrip(cmd string) (string, error) {
	if _, err := io.WriteString(c.conn, cmd+"\n"); err != nil {
		return "", fmt.Errorf("send %q to NUT server: %w", cmd, err)
	}
	return c.readLine()
}

func (c *Client) expectOK(cmd string) error {
	line, err := c.roundTrip(cmd)
	if err != nil {
		return err
	}
	verb := strings.SplitN(cmd, " ", 2)[0]
	if pe := parseErr(line, verb); pe != nil {
		return pe
	}
	if line != "OK" && !strings.HasPrefix(line, "OK ") {
		return fmt.Errorf("NUT server answered %s with %q instead of OK", verb, line)
	}
	return nil
}

// readLine reads one line without its line end, refusing lines longer than
// MaxLineLength.
func (c *Client) readLine() (string, error) {
	var b []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > MaxLineLength {
			return "", fmt.Errorf("NUT server sent a line longer than %d bytes", MaxLineLength)
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return "", errors.New("NUT server closed the connection")
		}
		return "", fmt.Errorf("read from NUT server: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// parseErr returns the *ProtocolError of an "ERR ..." line, or nil.
func parseErr(line, cmd string) *ProtocolError {
	if line != "ERR" && !strings.HasPrefix(line, "ERR ") {
		return nil
	}
	rest := strings.TrimSpace(strings.TrimPrefix(line, "ERR"))
	code, extra, _ := strings.Cut(rest, " ")
	return &ProtocolError{Code: code, Extra: strings.TrimSpace(extra), Command: cmd}
}

func expectWords(line string, want ...string) error {
	words, err := SplitLine(line)
	if err != nil {
		return fmt.Errorf("NUT server answer %q: %w", line, err)
	}
	if len(words) != len(want) {
		return fmt.Errorf("NUT server answered %q; want %q", line, strings.Join(want, " "))
	}
	for i := range want {
		if words[i] != want[i] {
			return fmt.Errorf("NUT server answered %q; want %q", line, strings.Join(want, " "))
		}
	}
	return nil
}

// parseVar checks a split `VAR <ups> <name> "<value>"` line.
func parseVar(words []string, ups string) (name, value string, err error) {
	if len(words) != 4 || words[0] != "VAR" {
		return "", "", fmt.Errorf("unexpected line %q; want VAR <ups> <name> \"<value>\"", strings.Join(words, " "))
	}
	if words[1] != ups {
		return "", "", fmt.Errorf("line for UPS %q while asking for %q", words[1], ups)
	}
	if words[2] == "" {
		return "", "", errors.New("VAR line with an empty variable name")
	}
	return words[2], words[3], nil
}
