package pinauth

import (
	"fmt"

	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

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
