package pinauth

import (
	"fmt"

	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// validateWebhooks checks c.Webhooks against the tenants, replaces them
// with a copy with defaults applied, and fills the dispatcher's defaults.
// Errors name the webhook by its position and tenant, never by its URL
// (which may carry a token) or secret.
func validateWebhooks(c *Config) error {
	tenants := make([]string, len(c.Tenants))
	for i, t := range c.Tenants {
		tenants[i] = t.Name
	}
	hooks, err := webhook.Validate(c.Webhooks, tenants)
	if err != nil {
		return fmt.Errorf("pinauth: %w", err)
	}
	c.Webhooks = hooks
	setDefault(&c.WebhookPollInterval, webhook.DefaultPollInterval)
	setDefault(&c.WebhookRetention, webhook.DefaultRetention)
	return nil
}

// startDispatcher starts delivering g's webhooks; it returns nil when none
// is configured or delivery is off. Stop it with Stop.
func startDispatcher(g *Gateway) (*webhook.Dispatcher, error) {
	if len(g.cfg.Webhooks) == 0 || g.cfg.NoDelivery {
		return nil, nil
	}
	d, err := webhook.Start(g.store, g.cfg.Webhooks, webhook.Options{
		Logger:    g.log.Named("webhooks"),
		Now:       g.now,
		Poll:      g.cfg.WebhookPollInterval,
		Retention: g.cfg.WebhookRetention,
		Delivered: g.obs.WebhookDelivered,
	})
	if err != nil {
		return nil, fmt.Errorf("pinauth: %w", err)
	}
	return d, nil
}
