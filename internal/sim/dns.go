package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/miekg/dns"
)

// dnsServer answers DNS over UDP and TCP on the same loopback port.
type dnsServer struct {
	addr     string
	udp, tcp *dns.Server
	done     chan error // one value per server when it stops
}

// startDNS starts h on a random loopback port, for UDP and TCP alike, and
// returns once both servers accept queries.
func startDNS(h dns.Handler) (*dnsServer, error) {
	var (
		ln  net.Listener
		pc  net.PacketConn
		err error
	)
	// Take a TCP port, then the UDP port with the same number; another
	// program may hold that UDP port, so try a few times.
	for range 20 {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("listen on loopback: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if pc, err = net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			break
		}
		_ = ln.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("find a free UDP and TCP port: %w", err)
	}
	d := &dnsServer{addr: ln.Addr().String(), done: make(chan error, 2)}
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	d.udp = &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: notify}
	d.tcp = &dns.Server{Listener: ln, Handler: h, NotifyStartedFunc: notify}
	for _, s := range []*dns.Server{d.udp, d.tcp} {
		go func() { d.done <- s.ActivateAndServe() }()
	}
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for range 2 {
		select {
		case <-started:
		case err := <-d.done:
			_ = pc.Close()
			_ = ln.Close()
			return nil, fmt.Errorf("start the DNS server: %w", err)
		case <-timeout.C:
			_ = pc.Close()
			_ = ln.Close()
			return nil, errors.New("start the DNS server: it did not start within 5 s")
		}
	}
	return d, nil
}

// close stops both servers and waits until they have stopped.
func (d *dnsServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs := []error{d.udp.ShutdownContext(ctx), d.tcp.ShutdownContext(ctx)}
	for range 2 {
		select {
		case <-d.done:
		case <-ctx.Done():
			return errors.Join(append(errs, fmt.Errorf("stop the DNS server: %w", ctx.Err()))...)
		}
	}
	return errors.Join(errs...)
}
