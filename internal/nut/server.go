package nut

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
)

// ServerVersion is the answer of Server to VER.
const ServerVersion = "lifeline NUT simulator (Network UPS Tools protocol 1.3)"

// Server is a small NUT protocol server that plays one or more UPSes whose
// variables can be changed while it runs. It serves VER, NETVER, HELP,
// USERNAME, PASSWORD, LIST UPS, LIST VAR, GET VAR and LOGOUT, and can answer
// DATA-STALE or DRIVER-NOT-CONNECTED for a UPS, like upsd does when the UPS
// driver stops talking. The demo's simulated pharmacy and tests use it.
//
// Unlike upsd, which checks credentials only for commands that change
// something, a Server with RequireLogin refuses LIST VAR and GET VAR with
// ACCESS-DENIED until the right USERNAME and PASSWORD were sent; that lets
// tests exercise a client's login.
type Server struct {
	log *slog.Logger

	mu       sync.Mutex
	upses    map[string]*simUPS
	username string
	password string
	ln       net.Listener
	conns    map[net.Conn]struct{}
	closed   bool
	wg       sync.WaitGroup
}

type simUPS struct {
	desc         string
	vars         map[string]string
	stale        bool
	disconnected bool
}

// session is the per-connection state of the server.
type session struct {
	username, password       string
	hasUsername, hasPassword bool
}

// NewServer returns a server with no UPS; add some with SetVars, then call
// Listen. log may be nil.
func NewServer(log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{log: log, upses: make(map[string]*simUPS), conns: make(map[net.Conn]struct{})}
}

func (s *Server) upsLocked(name string) *simUPS {
	u, ok := s.upses[name]
	if !ok {
		u = &simUPS{desc: "Simulated UPS", vars: make(map[string]string)}
		s.upses[name] = u
	}
	return u
}

// SetVars replaces all variables of the UPS ups, creating it if needed.
func (s *Server) SetVars(ups string, vars map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.upsLocked(ups)
	u.vars = make(map[string]string, len(vars))
	for k, v := range vars {
		u.vars[k] = v
	}
}

// SetVar sets one variable of the UPS ups, creating the UPS if needed.
func (s *Server) SetVar(ups, name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upsLocked(ups).vars[name] = value
}

// Vars returns a copy of the variables of the UPS ups, or nil if there is
// no such UPS.
func (s *Server) Vars(ups string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.upses[ups]
	if !ok {
		return nil
	}
	out := make(map[string]string, len(u.vars))
	for k, v := range u.vars {
		out[k] = v
	}
	return out
}

// SetDescription sets the description LIST UPS shows for ups.
func (s *Server) SetDescription(ups, desc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upsLocked(ups).desc = desc
}

// SetStale makes the server answer ERR DATA-STALE for ups (true) or serve
// its variables again (false).
func (s *Server) SetStale(ups string, stale bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upsLocked(ups).stale = stale
}

// SetDriverConnected(ups, false) makes the server answer ERR
// DRIVER-NOT-CONNECTED for ups, as upsd does when the driver is gone.
func (s *Server) SetDriverConnected(ups string, connected bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.upsLocked(ups).disconnected = !connected
}

// RemoveUPS forgets ups; asking for it then gives ERR UNKNOWN-UPS.
func (s *Server) RemoveUPS(ups string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.upses, ups)
}

// RequireLogin makes LIST VAR and GET VAR answer ERR ACCESS-DENIED unless
// the connection sent this USERNAME and PASSWORD. An empty username turns
// the requirement off.
func (s *Server) RequireLogin(username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.username, s.password = username, password
}

// Listen binds addr (for example "127.0.0.1:0") and serves connections in
// the background until Close.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("NUT simulator: listen on %s: %w; choose a free address", addr, err)
	}
	s.mu.Lock()
	if s.closed || s.ln != nil {
		s.mu.Unlock()
		_ = ln.Close()
		return errors.New("NUT simulator: Listen called twice or after Close")
	}
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go s.acceptLoop(ln)
	return nil
}

// Addr returns the address the server listens on, or "" before Listen.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops listening, closes every open connection and waits for the
// connection handlers to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Warn("NUT simulator: accept failed", "err", err)
			}
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(conn)
	}
}

func (s *Server) serveConn(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		_ = conn.Close()
	}()
	r := bufio.NewReaderSize(conn, 1024)
	w := bufio.NewWriter(conn)
	var sess session
	for {
		line, err := readServerLine(r)
		if errors.Is(err, errTooLong) {
			_, _ = w.WriteString("ERR " + CodeTooLong + "\n")
			_ = w.Flush()
			return
		}
		if err != nil {
			return
		}
		lines, quit := s.answer(&sess, line)
		for _, l := range lines {
			_, _ = w.WriteString(l + "\n")
		}
		if err := w.Flush(); err != nil || quit {
			return
		}
	}
}

var errTooLong = errors.New("line too long")

func readServerLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > MaxLineLength {
			return "", errTooLong
		}
		if err == nil {
			return string(b), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) && len(b) > 0 {
				return string(b), nil
			}
			return "", err
		}
	}
}

// answer returns the answer lines (without line ends) to one request line
// of a connection whose state is sess, and whether the connection ends
// after them.
func (s *Server) answer(sess *session, line string) (lines []string, quit bool) {
	words, err := SplitLine(line)
	if err != nil {
		return []string{"ERR " + CodeInvalidArgument}, false
	}
	if len(words) == 0 {
		return nil, false
	}
	errLine := func(code string) []string { return []string{"ERR " + code} }
	cmd := strings.ToUpper(words[0])
	args := words[1:]
	switch cmd {
	case "VER":
		return []string{ServerVersion}, false
	case "NETVER":
		return []string{"1.3"}, false
	case "HELP":
		return []string{"Commands: HELP VER NETVER GET LIST USERNAME PASSWORD LOGOUT"}, false
	case "LOGOUT":
		return []string{"OK Goodbye"}, true
	case "STARTTLS":
		return errLine(CodeFeatureNotConfigured), false
	case "USERNAME":
		if len(args) != 1 {
			return errLine(CodeInvalidArgument), false
		}
		if sess.hasUsername {
			return errLine(CodeAlreadySetUsername), false
		}
		sess.username, sess.hasUsername = args[0], true
		return []string{"OK"}, false
	case "PASSWORD":
		if len(args) != 1 {
			return errLine(CodeInvalidArgument), false
		}
		if sess.hasPassword {
			return errLine(CodeAlreadySetPassword), false
		}
		sess.password, sess.hasPassword = args[0], true
		return []string{"OK"}, false
	case "LIST":
		if len(args) == 1 && strings.ToUpper(args[0]) == "UPS" {
			return s.listUPS(), false
		}
		if len(args) == 2 && strings.ToUpper(args[0]) == "VAR" {
			return s.listVar(sess, args[1]), false
		}
		return errLine(CodeInvalidArgument), false
	case "GET":
		if len(args) == 3 && strings.ToUpper(args[0]) == "VAR" {
			return s.getVar(sess, args[1], args[2]), false
		}
		return errLine(CodeInvalidArgument), false
	default:
		return errLine(CodeUnknownCommand), false
	}
}

func (s *Server) listUPS() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.upses))
	for n := range s.upses {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []string{"BEGIN LIST UPS"}
	for _, n := range names {
		out = append(out, "UPS "+mustWord(n)+" "+Quote(flatten(s.upses[n].desc)))
	}
	return append(out, "END LIST UPS")
}

// readableLocked returns the UPS or the error code that refuses access to it.
// The caller holds s.mu.
func (s *Server) readableLocked(sess *session, ups string) (*simUPS, string) {
	if s.username != "" && (!sess.hasUsername || !sess.hasPassword ||
		sess.username != s.username || sess.password != s.password) {
		return nil, CodeAccessDenied
	}
	u, ok := s.upses[ups]
	switch {
	case !ok:
		return nil, CodeUnknownUPS
	case u.disconnected:
		return nil, CodeDriverNotConnected
	case u.stale:
		return nil, CodeDataStale
	}
	return u, ""
}

func (s *Server) listVar(sess *session, ups string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, code := s.readableLocked(sess, ups)
	if code != "" {
		return []string{"ERR " + code}
	}
	names := make([]string, 0, len(u.vars))
	for n := range u.vars {
		names = append(names, n)
	}
	sort.Strings(names)
	w := mustWord(ups)
	out := []string{"BEGIN LIST VAR " + w}
	for _, n := range names {
		out = append(out, "VAR "+w+" "+mustWord(n)+" "+Quote(flatten(u.vars[n])))
	}
	return append(out, "END LIST VAR "+w)
}

func (s *Server) getVar(sess *session, ups, name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, code := s.readableLocked(sess, ups)
	if code != "" {
		return []string{"ERR " + code}
	}
	v, ok := u.vars[name]
	if !ok {
		return []string{"ERR " + CodeVarNotSupported}
	}
	return []string{"VAR " + mustWord(ups) + " " + mustWord(name) + " " + Quote(flatten(v))}
}

// mustWord quotes a name for an answer line; names with line breaks cannot
// come from SplitLine, so only set-up code could pass one, and it is
// flattened rather than allowed to break the protocol.
func mustWord(s string) string {
	w, err := word(s)
	if err != nil {
		return Quote(flatten(s))
	}
	return w
}

// flatten replaces line breaks and NUL, which cannot travel inside one
// protocol line, by spaces.
func flatten(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ", "\x00", " ").Replace(s)
}
