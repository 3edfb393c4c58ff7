package sim

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// serveFunc starts serving on ln and returns a function that closes ln and
// every connection accepted from it, and waits until serving has stopped.
type serveFunc func(ln net.Listener) (stop func() error)

// switchable is a TCP service on a fixed loopback address that can be
// switched off (new connections are refused, open ones are cut, as when the
// machine behind it fails) and on again on the same address. It is not safe
// for concurrent use; the Pharmacy serialises calls with setMu.
type switchable struct {
	addr  string
	serve serveFunc
	stop  func() error // nil while off
}

// startSwitchable listens on a random loopback port and starts serving.
func startSwitchable(serve serveFunc) (*switchable, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	return &switchable{addr: ln.Addr().String(), serve: serve, stop: serve(ln)}, nil
}

// on listens on the same address again and serves; it does nothing when on.
func (s *switchable) on() error {
	if s.stop != nil {
		return nil
	}
	var (
		ln  net.Listener
		err error
	)
	// The port was ours a moment ago; a short retry covers an operating
	// system that releases it with a little delay.
	for range 40 {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("listen again on %s: %w", s.addr, err)
	}
	s.stop = s.serve(ln)
	return nil
}

// off stops serving; it does nothing when off.
func (s *switchable) off() error {
	if s.stop == nil {
		return nil
	}
	err := s.stop()
	s.stop = nil
	return err
}

// set switches the service on, unless down is true.
func (s *switchable) set(down bool) error {
	if down {
		return s.off()
	}
	return s.on()
}

// serveHTTP serves h over HTTP, or HTTPS when tlsConf is not nil.
func serveHTTP(h http.Handler, tlsConf *tls.Config, log *slog.Logger) serveFunc {
	return func(ln net.Listener) func() error {
		srv := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		}
		if tlsConf != nil {
			ln = tls.NewListener(ln, tlsConf)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = srv.Serve(ln) // returns ErrServerClosed after Close
		}()
		return func() error {
			err := srv.Close()
			<-done
			return err
		}
	}
}

// serveConns runs handle for every accepted connection and closes the
// connection when handle returns.
func serveConns(handle func(net.Conn)) serveFunc {
	return func(ln net.Listener) func() error {
		var (
			mu      sync.Mutex
			conns   = make(map[net.Conn]struct{})
			stopped bool
			wg      sync.WaitGroup
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					if errors.Is(err, net.ErrClosed) {
						return
					}
					time.Sleep(10 * time.Millisecond) // for example too many open files
					continue
				}
				mu.Lock()
				if stopped {
					mu.Unlock()
					_ = c.Close()
					return
				}
				conns[c] = struct{}{}
				wg.Add(1)
				mu.Unlock()
				go func() {
					defer wg.Done()
					defer func() {
						mu.Lock()
						delete(conns, c)
						mu.Unlock()
						_ = c.Close()
					}()
					handle(c)
				}()
			}
		}()
		return func() error {
			err := ln.Close()
			mu.Lock()
			stopped = true
			for c := range conns {
				_ = c.Close()
			}
			mu.Unlock()
			wg.Wait()
			return err
		}
	}
}

// randomToken returns 32 random hex characters.
func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("sim: random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
