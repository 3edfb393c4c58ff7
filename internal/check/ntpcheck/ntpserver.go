package ntpcheck

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ntpEpochOffset is the number of seconds from 1900-01-01 (NTP era 0) to
// 1970-01-01 (Unix epoch).
const ntpEpochOffset = 2208988800

// Server is a small NTPv4 server on UDP for the demo's simulated pharmacy
// and for tests. It answers client requests (mode 3) with server packets
// (mode 4) whose times are the local clock shifted by a settable offset, so
// that a client sees its own clock off by that much. It can be switched off,
// in which case it drops requests silently like an unreachable time server.
type Server struct {
	conn *net.UDPConn
	log  *slog.Logger
	now  func() time.Time

	mu      sync.Mutex
	offset  time.Duration
	enabled bool

	done chan struct{}
}

// NewServer listens on the UDP address addr (for example "127.0.0.1:0")
// and answers requests until Close. It starts switched on with offset 0.
// log may be nil.
func NewServer(addr string, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("NTP simulator: address %q: %w; write it as host:port", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("NTP simulator: listen on %s: %w; choose a free address", addr, err)
	}
	s := &Server{conn: conn, log: log, now: time.Now, enabled: true, done: make(chan struct{})}
	go s.serve()
	return s, nil
}

// Addr returns the address the server listens on, as host:port.
func (s *Server) Addr() string { return s.conn.LocalAddr().String() }

// SetOffset sets how far the server's clock is ahead of the local clock;
// negative values put it behind.
func (s *Server) SetOffset(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = d
}

// Offset returns the current offset.
func (s *Server) Offset() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}

// SetEnabled switches answering on or off.
func (s *Server) SetEnabled(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enabled = on
}

// Enabled reports whether the server answers.
func (s *Server) Enabled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enabled
}

// Close stops the server and waits until it no longer reads.
func (s *Server) Close() error {
	err := s.conn.Close()
	<-s.done
	return err
}

func (s *Server) serve() {
	defer close(s.done)
	buf := make([]byte, 1024)
	for {
		n, peer, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Warn("NTP simulator: read failed", "err", err)
			}
			return
		}
		recv := s.now()
		s.mu.Lock()
		offset, on := s.offset, s.enabled
		s.mu.Unlock()
		if !on {
			continue
		}
		reply, ok := Reply(buf[:n], recv.Add(offset), s.now().Add(offset))
		if !ok {
			continue
		}
		if _, err := s.conn.WriteToUDP(reply, peer); err != nil {
			s.log.Warn("NTP simulator: write failed", "peer", peer, "err", err)
		}
	}
}

// Reply builds the 48-byte NTPv4 server answer to the client request req,
// with receive time recv and transmit time xmit as the server's clock reads
// them. It reports false for anything that is not a client request (mode 3,
// version 1 to 4, at least 48 bytes), which a server ignores.
func Reply(req []byte, recv, xmit time.Time) ([]byte, bool) {
	if len(req) < 48 {
		return nil, false
	}
	version := (req[0] >> 3) & 0x7
	mode := req[0] & 0x7
	if mode != 3 || version < 1 || version > 4 {
		return nil, false
	}
	r := make([]byte, 48)
	r[0] = 0<<6 | version<<3 | 4                  // leap: no warning; mode 4: server
	r[1] = 2                                      // stratum 2: synchronised to a stratum-1 server
	r[2] = req[2]                                 // poll interval as asked
	r[3] = 0xEC                                   // precision 2^-20 s
	binary.BigEndian.PutUint32(r[4:], 0x00000100) // root delay ~4 ms (16.16 fixed point)
	binary.BigEndian.PutUint32(r[8:], 0x00000100) // root dispersion ~4 ms
	copy(r[12:16], []byte{127, 0, 0, 1})          // reference ID: upstream address
	putTime(r[16:], xmit.Add(-16*time.Second))    // reference time: last sync
	copy(r[24:32], req[40:48])                    // origin time: the client's transmit time
	putTime(r[32:], recv)
	putTime(r[40:], xmit)
	return r, true
}

// putTime writes t as a 64-bit NTP timestamp (era 0: seconds since 1900
// in 32 bits, then a 32-bit binary fraction).
func putTime(b []byte, t time.Time) {
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := (uint64(t.Nanosecond()) << 32) / 1e9
	binary.BigEndian.PutUint64(b, secs<<32|frac)
}
