package tcpcheck

import (
	"fmt"
	"net"
	"strings"
)

// HostPort splits addr ("host:port", "host", "[::1]:853", "::1") and
// adds defaultPort when addr has none. It returns the joined address and
// the host alone.
func HostPort(addr, defaultPort string) (hostport, host string, err error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		// No port: a bare host name or IP address (IPv6 possibly bracketed).
		h = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
		if h == "" || strings.ContainsAny(h, "[]/ ") || (strings.Contains(h, ":") && net.ParseIP(h) == nil) {
			return "", "", fmt.Errorf("address %q is not host:port (for example server.local:443)", addr)
		}
		p = defaultPort
	}
	if h == "" || p == "" {
		return "", "", fmt.Errorf("address %q needs a host, for example server.local:443", addr)
	}
	return net.JoinHostPort(h, p), h, nil
}
