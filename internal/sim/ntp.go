package sim

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"time"
)

// ntpServer is a small NTP server (RFC 5905, server mode 4) on UDP
// loopback. Its clock is the local clock plus a settable offset; when silent
// it reads requests and answers none, like a time server that is gone.
type ntpServer struct {
	conn   net.PacketConn
	done   chan struct{}
	mu     sync.Mutex
	offset time.Duration
	silent bool
}

// startNTP listens on a random UDP loopback port and starts answering.
func startNTP() (*ntpServer, error) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on UDP loopback: %w", err)
	}
	s := &ntpServer{conn: conn, done: make(chan struct{})}
	go s.serve()
	return s, nil
}

func (s *ntpServer) addr() string { return s.conn.LocalAddr().String() }

// set changes the offset of the server's clock and whether it answers.
func (s *ntpServer) set(offset time.Duration, silent bool) {
	s.mu.Lock()
	s.offset, s.silent = offset, silent
	s.mu.Unlock()
}

func (s *ntpServer) close() error {
	err := s.conn.Close()
	<-s.done
	return err
}

func (s *ntpServer) serve() {
	defer close(s.done)
	buf := make([]byte, 512)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		recv := time.Now()
		s.mu.Lock()
		offset, silent := s.offset, s.silent
		s.mu.Unlock()
		if silent || n < 48 || buf[0]&0x7 != 3 { // only client requests
			continue
		}
		_, _ = s.conn.WriteTo(ntpReply(buf[:48], recv.Add(offset), time.Now().Add(offset)), from)
	}
}

// ntpReply builds a server reply to the client request req, received at
// recv and sent at xmit (both on the server's clock).
func ntpReply(req []byte, recv, xmit time.Time) []byte {
	r := make([]byte, 48)
	version := (req[0] >> 3) & 0x7
	if version < 1 || version > 4 {
		version = 4 // this server speaks NTPv4 and answers older clients in kind
	}
	r[0] = version<<3 | 4                                                  // leap indicator 0 (in sync), server mode
	r[1] = 2                                                               // stratum 2: synchronised to a stratum 1 server
	r[2] = req[2]                                                          // poll interval, as asked
	r[3] = 0xec                                                            // precision 2^-20 s
	binary.BigEndian.PutUint32(r[4:], 0x00000080)                          // root delay 1/512 s
	binary.BigEndian.PutUint32(r[8:], 0x00000080)                          // root dispersion 1/512 s
	copy(r[12:16], []byte{127, 0, 0, 1})                                   // reference ID: upstream IPv4
	binary.BigEndian.PutUint64(r[16:], ntpTime(xmit.Add(-16*time.Second))) // last sync
	copy(r[24:32], req[40:48])                                             // origin = client's transmit time
	binary.BigEndian.PutUint64(r[32:], ntpTime(recv))
	binary.BigEndian.PutUint64(r[40:], ntpTime(xmit))
	return r
}

// ntpTime converts t to the 64-bit NTP timestamp format: seconds since
// 1 January 1900 and a 32-bit fraction.
func ntpTime(t time.Time) uint64 {
	const eraOffset = 2208988800 // seconds from 1900 to 1970
	secs := uint64(t.Unix() + eraOffset)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}
