package caddymodule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

// cliLogger is where `caddy pinauth` logs what Caddy's own commands log
// (the config file used, adapter warnings, the store opened): nowhere,
// unless --verbose sends it to standard error. On success a command's
// standard error stays empty, so scripts can treat any output there as
// trouble.
func cliLogger(cmd *cobra.Command) *zap.Logger {
	if verbose, _ := cmd.Flags().GetBool("verbose"); verbose {
		return caddy.Log()
	}
	return zap.NewNop()
}

// loadCLIConfig finds and adapts the config as `caddy run` does: the file
// --config names, with the adapter --adapter names or, for a name that
// starts with "Caddyfile" or ends in ".caddyfile", the Caddyfile adapter;
// without --config, a Caddyfile in the current directory. It returns nil
// when there is no config at all. Caddy's cmd.LoadConfig does the same
// but logs to Caddy's default logger, which a command cannot silence.
func loadCLIConfig(file, adapterName string, log *zap.Logger) ([]byte, error) {
	if file == "" {
		if adapterName != "" {
			return nil, usageErrorf("--adapter needs --config")
		}
		if _, err := os.Stat("Caddyfile"); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		file = "Caddyfile"
		log.Info("using adjacent Caddyfile")
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	log.Info("using config from file", zap.String("file", file))
	if adapterName == "" && looksLikeCaddyfile(file) {
		adapterName = "caddyfile"
	}
	if adapterName == "" {
		if err := json.Unmarshal(body, new(any)); err != nil {
			return nil, fmt.Errorf("config %s is not JSON (%v); give --adapter for another format", file, err)
		}
		return body, nil
	}
	adapter := caddyconfig.GetAdapter(adapterName)
	if adapter == nil {
		return nil, usageErrorf("--adapter: unknown config adapter %q", adapterName)
	}
	adapted, warnings, err := adapter.Adapt(body, map[string]any{"filename": file})
	if err != nil {
		return nil, fmt.Errorf("adapting %s with %s: %w", file, adapterName, err)
	}
	log.Info("adapted config to JSON", zap.String("adapter", adapterName))
	for _, w := range warnings {
		log.Warn(w.Message, zap.String("adapter", adapterName), zap.String("directive", w.Directive),
			zap.String("file", w.File), zap.Int("line", w.Line))
	}
	return adapted, nil
}

// looksLikeCaddyfile reports whether Caddy takes a config file of this
// name for a Caddyfile when no adapter is named.
func looksLikeCaddyfile(file string) bool {
	base := strings.ToLower(filepath.Base(file))
	if filepath.Ext(base) == ".json" {
		return false
	}
	return strings.HasPrefix(base, "caddyfile") || strings.HasSuffix(base, ".caddyfile")
}
