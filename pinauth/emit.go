package pinauth

import (
	"encoding/json"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// emit writes hook's event about account a to the outbox, in the caller's
// transaction, once per subscribed webhook — unless the request asked for
// no webhook (prevent_webhook) and the event is not a security event: as
// LoginRadius documents, a caller may silence its own Login, Register,
// UpdateProfile or DeleteAccount. The payload carries the masked profile,
// without its empty fields (webhook.NewPayload).
func (g *Gateway) emit(tx store.Tx, c *call, hook string, a *store.Account) error {
	if c != nil && c.preventWebhook() && !webhook.IsSecurity(hook) {
		return nil
	}
	tenant := a.Tenant
	now := g.now()
	if c != nil {
		now = c.now
	}
	for i := range g.cfg.Webhooks {
		wh := &g.cfg.Webhooks[i]
		if !wh.Wants(tenant, hook) {
			continue
		}
		id := secret.NewToken()
		body, err := json.Marshal(webhook.NewPayload(id, hook, tenant, now, lrprofile.View(a, store.Attempts{}, now)))
		if err != nil {
			return err
		}
		if err := tx.AddEvent(store.Event{
			ID: id, Tenant: tenant, UID: a.UID, Hook: hook, Endpoint: wh.EndpointID(),
			Payload: body, CreatedAt: now, State: store.EventPending, NextAttemptAt: now,
		}); err != nil {
			return err
		}
	}
	return nil
}
