package pinauth

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/pinauth/caddy-pinauth/pinauth/cache"
	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/loginpage"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/observe"
	"github.com/pinauth/caddy-pinauth/pinauth/publicpath"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// Gateway is the authentication gateway: it serves the LoginRadius-style API
// under the API prefix and the JWKS, and gates every other request on a
// valid access token. Create one with New; it is safe for concurrent use.
type Gateway struct {
	cfg   Config
	store store.Store
	log   *zap.Logger
	now   func() time.Time

	peppers []secret.Pepper
	// profileTags tags and checks the profiles tokens carry (issue 22).
	profileTags *tokens.ProfileTags
	hasher      *hashing.Hasher
	tokens      *tokens.Manager
	cache       *cache.Caches
	hdrs        *identityheaders.Headers
	public      publicpath.Rules
	obs         observe.Observer
	tenants     map[string]*Tenant // by API key
	routes      []route
	page        *loginpage.Page // nil without login_page
	limiter     *ratelimit.Limiter
	captcha     *captcha.Verifier   // nil when no captcha is configured
	webhooks    *webhook.Dispatcher // nil without webhooks
	notifier    *notify.Notifier    // reset messages: templates and senders
	sends       *notify.Queue       // the reset messages' background deliveries
	recovery    *recovery.Secrets   // the forgot flows' reset tokens, OTPs and sends

	// stop ends the background work that bg waits for.
	stop      context.CancelFunc
	bg        sync.WaitGroup
	closeOnce sync.Once
}

// Identity is what the protected path learned about an authenticated
// request. The same values are set as identity headers.
type Identity = cache.Identity

// startupTimeout bounds the store calls New makes.
const startupTimeout = 30 * time.Second

// Config is the gateway's configuration, and Tenant one app's (package
// config documents every field and default).
type (
	Config = config.Config
	Tenant = config.Tenant
)

// New validates cfg, checks the pepper against the store, loads or creates
// the signing keys and returns a ready Gateway. Errors name the problem and
// never contain secret values.
func New(cfg Config) (*Gateway, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	g, err := newGateway(cfg)
	if err != nil {
		return nil, err
	}
	var operatorKey *tokens.OperatorKey
	if cfg.SigningKey != "" {
		if operatorKey, err = tokens.ParseOperatorKey(cfg.SigningAlg, cfg.SigningKey); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	defer cancel()
	if err := g.startStoreParts(ctx, operatorKey); err != nil {
		return nil, err
	}
	if err := g.startRequestParts(); err != nil {
		return nil, err
	}
	if err := g.startParts(); err != nil {
		// Close releases whatever was started (it tolerates a partial
		// gateway), so a failed start leaks no cache or queue goroutines.
		g.Close()
		return nil, err
	}
	g.cache.Follow(g.store, g.tokens.KeysChanged, g.now, g.cfg.AccessTTL)
	g.startBackground()
	return g, nil
}

// newGateway is a Gateway of cfg (with its defaults) with the parts that
// need no store: its public paths, identity headers and tenants by key.
func newGateway(cfg Config) (*Gateway, error) {
	g := &Gateway{
		cfg:         cfg,
		store:       cfg.Store,
		obs:         cfg.Observer,
		log:         cfg.Logger,
		now:         cfg.Now,
		peppers:     secret.NewPeppers(cfg.Peppers),
		profileTags: tokens.NewProfileTags(cfg.Peppers),
		tenants:     map[string]*Tenant{},
	}
	var err error
	if g.public, err = publicpath.New(cfg.Public); err != nil {
		return nil, fmt.Errorf("pinauth: %w", err)
	}
	if g.hdrs, err = identityheaders.New(cfg.HeaderPrefix, cfg.HeaderPreset); err != nil {
		return nil, fmt.Errorf("pinauth: header_preset: %w", err)
	}
	for i := range g.cfg.Tenants {
		t := &g.cfg.Tenants[i]
		for _, k := range t.APIKeys {
			g.tenants[k] = t
		}
	}
	return g, nil
}

// startStoreParts checks the pepper and the names against the store, makes
// the hasher, wraps the store for the observer and loads or creates the
// signing keys, in that order.
func (g *Gateway) startStoreParts(ctx context.Context, operatorKey *tokens.OperatorKey) (err error) {
	if err := g.checkPepper(ctx); err != nil {
		return err
	}
	if err := g.reportNameConflicts(ctx); err != nil {
		return err
	}
	cfg := &g.cfg
	if g.hasher, err = hashing.New(hashing.Options{Params: cfg.Hash, Peppers: g.peppers,
		MaxConcurrent: cfg.MaxConcurrentHashes, QueueTimeout: cfg.HashQueueTimeout, OnWait: g.obs.HashWaited}); err != nil {
		return err
	}
	if _, nop := g.obs.(observe.Nop); !nop {
		g.store = observe.TimedStore(g.store, g.obs)
	}
	g.tokens, err = tokens.New(ctx, g.store, g.tokenOptions(operatorKey))
	return err
}

// startRequestParts makes what serving requests needs beside the store:
// the caches, the API routes, the rate limiter and the captcha verifier.
func (g *Gateway) startRequestParts() (err error) {
	if g.cache, err = cache.New(g.cfg.CacheSize, g.cfg.CacheTTL); err != nil {
		return fmt.Errorf("pinauth: create caches: %w", err)
	}
	g.routes = apiRoutes()
	g.limiter = g.cfg.RateLimiter
	if g.cfg.Captcha != nil {
		g.captcha = captcha.NewVerifier(*g.cfg.Captcha)
	}
	if g.limiter == nil {
		g.limiter = ratelimit.New(0)
	}
	return nil
}

// startParts builds the parts that own goroutines or templates once the
// caches exist; on an error, the caller closes the partial gateway.
func (g *Gateway) startParts() (err error) {
	if g.page, err = newLoginPage(g); err != nil {
		return err
	}
	if g.notifier, err = notify.New(g.notifyOptions()); err != nil {
		return err
	}
	g.sends = notify.NewQueue(g.log, notify.DefaultWorkers)
	g.recovery = g.newRecovery()
	g.webhooks, err = startDispatcher(g)
	return err
}

// Handle serves r. API, JWKS and auth-request requests (other proxies
// asking about the request they hold, Config.AuthRequestPath) are
// answered completely, as are
// protected requests without a valid token (401): then ok is false and the
// caller must not write anything more. Otherwise ok is true: client-sent
// identity headers have been removed and, when the request carried a valid
// token, the real ones set on r and id describes the user (id is nil for an
// anonymous request to a public path). The caller passes r on to the next
// handler. The returned Identity is shared and must not be modified.
func (g *Gateway) Handle(w http.ResponseWriter, r *http.Request) (id *Identity, ok bool) {
	p := r.URL.Path
	if g.cfg.UnderAPIPrefix(p) {
		apireq.SetBodyDeadline(w, r, g.cfg.BodyTimeout)
		g.serveAPI(w, r)
		return nil, false
	}
	if p == config.JWKSPath {
		g.serveJWKS(w, r)
		return nil, false
	}
	if p == g.cfg.AuthRequestPath && p != "" {
		g.serveAuthRequest(w, r)
		return nil, false
	}
	if g.page != nil && g.page.Owns(p) {
		apireq.SetBodyDeadline(w, r, g.cfg.BodyTimeout)
		g.page.ServeHTTP(w, r)
		return nil, false
	}
	return g.protect(w, r)
}

// Close stops background work and releases the caches. It does not close
// the store.
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		if g.cache != nil {
			g.cache.Unfollow()
		}
		g.webhooks.Stop()
		if g.sends != nil {
			g.sends.Close()
		}
		if g.stop != nil {
			g.stop()
			g.bg.Wait()
		}
		if g.cache != nil {
			g.cache.Close()
		}
	})
	return nil
}

// startBackground starts the gateway's background work; Close stops it and
// waits for it.
func (g *Gateway) startBackground() {
	ctx, cancel := context.WithCancel(context.Background())
	g.stop = cancel
	g.bg.Add(2)
	go func() {
		defer g.bg.Done()
		g.tokens.Run(ctx)
	}()
	go g.pruneLoop(ctx)
}

// serveJWKS writes the public keys of every non-retired signing key (and of
// retired ones whose tokens may still be valid).
func (g *Gateway) serveJWKS(w http.ResponseWriter, r *http.Request) {
	apireq.CloseUnreadBody(w, r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		g.writeError(w, r, lrerr.New(lrerr.CodeNotFound))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(g.tokens.JWKS())
}

// pepperCheckKey is the meta key holding a value derived from the current
// pepper, so a wrong pepper stops start-up instead of failing every login.
const pepperCheckKey = "pepper_check"

func pepperCheckValue(p secret.Pepper) string {
	return p.ID + ":" + fmt.Sprintf("%x", secret.MAC(p.Key, "pepper check", ""))
}

// checkPepper compares the configured peppers with the value stored by the
// first start. A match with an older pepper means the operator rotated it:
// the stored value moves to the current pepper.
func (g *Gateway) checkPepper(ctx context.Context) error {
	want := pepperCheckValue(g.peppers[0])
	stored, err := g.store.SetMetaIfAbsent(ctx, pepperCheckKey, want)
	if err != nil {
		return fmt.Errorf("pinauth: read the pepper check from the store: %w", err)
	}
	if secret.Equal(stored, want) {
		return nil
	}
	for _, p := range g.peppers[1:] {
		if secret.Equal(stored, pepperCheckValue(p)) {
			if err := g.store.SetMeta(ctx, pepperCheckKey, want); err != nil {
				return fmt.Errorf("pinauth: record the pepper rotation: %w", err)
			}
			return nil
		}
	}
	return fmt.Errorf("pinauth: the configured pepper does not match the one this store was created with; " +
		"to rotate it, list the old pepper after the new one")
}

// HashQueue reports the hashing semaphore's state: requests waiting for a
// slot, slots in use, and slots in all.
func (g *Gateway) HashQueue() (waiting, inUse, capacity int) {
	return g.hasher.QueueState()
}

// RotateKey retires the signing key and makes a new one of the configured
// algorithm the signing key, for this gateway at once and for every other
// gateway on the store within seconds. Tokens signed with the retired key
// keep verifying until they expire (AccessTTL after the rotation). It
// returns the retired and the new key. When another process rotates at the
// same moment, one new key results and both calls report it. A configured
// signing_key cannot be rotated (tokens.ErrOperatorKey).
func (g *Gateway) RotateKey(ctx context.Context) (retired []tokens.KeyInfo, current tokens.KeyInfo, err error) {
	return g.tokens.Rotate(ctx)
}

// tokenOptions configure the gateway's token manager.
func (g *Gateway) tokenOptions(operatorKey *tokens.OperatorKey) tokens.Options {
	audiences := make([]string, len(g.cfg.Tenants))
	for i, t := range g.cfg.Tenants {
		audiences[i] = t.Name
	}
	return tokens.Options{
		Alg: g.cfg.SigningAlg, OperatorKey: operatorKey, Issuer: g.cfg.Issuer, Audiences: audiences,
		AccessTTL: g.cfg.AccessTTL, Rotation: g.cfg.KeyRotation, Peppers: g.peppers, Now: g.now, Log: g.log,
	}
}
