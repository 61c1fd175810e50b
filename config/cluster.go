package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
)

// Cluster is the cluster membership configuration of cluster.yaml.
type Cluster struct {
	// Name is the cluster's name; members of different clusters never join.
	Name string `json:"name"`
	// Provider is how members find each other: automanaged (a static seed
	// list), etcd or k8s.
	Provider string `json:"provider"`
	// Host and Port are this member's advertised address for actor traffic.
	Host string `json:"host"`
	Port int    `json:"port"`
	// Seeds are the automanaged provider's HOST:PORT list.
	Seeds []string `json:"seeds"`
	// Etcd lists etcd endpoints for the etcd provider.
	Etcd []string `json:"etcd"`
}

// LoadCluster reads and validates a cluster file.
func LoadCluster(path string) (Cluster, error) {
	c := Cluster{Name: "switchboard", Provider: "automanaged", Host: "127.0.0.1", Port: 6330}
	raw, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	holder := struct {
		Cluster Cluster `json:"cluster"`
	}{c}
	if err := loadStrict(path, raw, &holder); err != nil {
		return c, err
	}
	return holder.Cluster, holder.Cluster.Validate()
}

// Validate checks the cluster settings.
func (c *Cluster) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("config: cluster.name is required"))
	}
	if !slices.Contains([]string{"automanaged", "etcd", "k8s"}, c.Provider) {
		errs = append(errs, errors.New("config: cluster.provider must be automanaged, etcd or k8s"))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, errors.New("config: cluster.port must be from 1 to 65535"))
	}
	if c.Provider == "automanaged" && len(c.Seeds) == 0 {
		errs = append(errs, errors.New("config: cluster.seeds needs at least one member for automanaged"))
	}
	for _, s := range c.Seeds {
		if _, _, err := net.SplitHostPort(s); err != nil {
			errs = append(errs, fmt.Errorf("config: cluster.seeds: %q is not HOST:PORT", s))
		}
	}
	if c.Provider == "etcd" && len(c.Etcd) == 0 {
		errs = append(errs, errors.New("config: cluster.etcd needs at least one endpoint for the etcd provider"))
	}
	return errors.Join(errs...)
}
