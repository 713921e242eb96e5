package tests

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// pgProxy forwards TCP connections to PostgreSQL and can hang them: while
// frozen it passes no byte either way and new connections get no answer,
// as when a database host stops responding without closing anything (a
// partition, a stuck server). Nodes that reach the database through it see
// a hang, not an error: only their own timeouts end their calls.
type pgProxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu   sync.Mutex
	thaw chan struct{} // nil when not frozen; closed by unfreeze
	wg   sync.WaitGroup
	open map[net.Conn]struct{}
	// held hangs single connections (freezePorts), by the proxy's port
	// toward the server, which the server reports as the client's port.
	held map[int]chan struct{}
	// ports are the proxy's ports toward the server of its connections.
	ports map[int]bool
}

// newPGProxy starts a proxy on loopback to the server of dsn, stopped when
// the test ends.
func newPGProxy(t *testing.T, dsn string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return newPGProxyOn(t, dsn, ln)
}

// newPGProxyOn starts a proxy to the server of dsn that accepts on ln,
// stopped (ln closed) when the test ends.
func newPGProxyOn(t *testing.T, dsn string, ln net.Listener) *pgProxy {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	p := &pgProxy{t: t, ln: ln, target: u.Host, open: map[net.Conn]struct{}{}, held: map[int]chan struct{}{}, ports: map[int]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.unfreeze()
		p.mu.Lock()
		for c := range p.open {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// dsn returns dsn with its host replaced by the proxy's.
func (p *pgProxy) dsn(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		p.t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// freeze makes the proxy stop passing bytes; unfreeze lets them (and the
// connections that arrived meanwhile) through again.
func (p *pgProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.thaw == nil {
		p.thaw = make(chan struct{})
	}
}

func (p *pgProxy) unfreeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.thaw != nil {
		close(p.thaw)
		p.thaw = nil
	}
	for port, thaw := range p.held {
		close(thaw)
		delete(p.held, port)
	}
}

// freezePorts hangs only the connections that reach the server from one
// of ports (pg_stat_activity's client_port), both ways, until unfreeze;
// it returns how many of them pass through this proxy.
func (p *pgProxy) freezePorts(ports []int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, port := range ports {
		if p.ports[port] && p.held[port] == nil {
			p.held[port] = make(chan struct{})
			n++
		}
	}
	return n
}

// gate returns once the proxy is not frozen, nor the connection that
// reaches the server from port (0: not connected yet).
func (p *pgProxy) gate(port int) {
	for {
		p.mu.Lock()
		thaw, held := p.thaw, p.held[port]
		p.mu.Unlock()
		switch {
		case thaw != nil:
			<-thaw
		case held != nil:
			<-held
		default:
			return
		}
	}
}

// track records an open connection, for closing at the end.
func (p *pgProxy) track(c net.Conn) {
	p.mu.Lock()
	p.open[c] = struct{}{}
	p.mu.Unlock()
}

func (p *pgProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(client)
		p.wg.Go(func() {
			p.gate(0)
			server, err := net.Dial("tcp", p.target)
			if err != nil {
				client.Close()
				return
			}
			p.track(server)
			port := server.LocalAddr().(*net.TCPAddr).Port
			p.mu.Lock()
			p.ports[port] = true
			p.mu.Unlock()
			var pair sync.WaitGroup
			pair.Go(func() { p.pipe(server, client, port) })
			pair.Go(func() { p.pipe(client, server, port) })
			pair.Wait()
		})
	}
}

// pipe copies src to dst, holding each chunk while the proxy or the
// connection (by its port toward the server) is frozen, and closes both
// when either side ends.
func (p *pgProxy) pipe(dst, src net.Conn, port int) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.gate(port)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
