package tests

import (
	"net"
	"strings"
	"testing"
)

// podmanNetwork returns the default network's gateway address (the host,
// as its containers reach it) and its IPv4 subnet.
func podmanNetwork(t *testing.T, podman string) (string, *net.IPNet) {
	t.Helper()
	out := podmanOutput(t, podman, "network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Gateway}} {{.Subnet}}\n{{end}}")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		gw := net.ParseIP(f[0])
		_, subnet, err := net.ParseCIDR(f[1])
		if err == nil && gw.To4() != nil && subnet.Contains(gw) {
			return gw.String(), subnet
		}
	}
	t.Fatalf("podman's default network has no IPv4 subnet with a gateway: %q", out)
	return "", nil
}

// subnetListener accepts only connections from one subnet.
type subnetListener struct {
	net.Listener
	subnet *net.IPNet
}

// Accept returns the next connection from the subnet, closing any other.
func (l subnetListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if a, ok := c.RemoteAddr().(*net.TCPAddr); ok && l.subnet.Contains(a.IP) {
			return c, nil
		}
		c.Close()
	}
}

// listenForSubnet listens on a free port of every IPv4 address (the
// containers' gateway address among them, whenever the network's bridge
// comes up) and accepts only the subnet's connections.
func listenForSubnet(t *testing.T, subnet *net.IPNet) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	return subnetListener{Listener: ln, subnet: subnet}
}

// port returns the port of a TCP address.
func port(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}
