package rotate

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/provision"
)

// regionsRecord is what the rotation does with the user's regions tag.
type regionsRecord struct {
	recorded bool       // Options.Regions were empty: the tag's regions are used
	write    *types.Tag // written with the delivery record; nil: not written
	drop     bool       // the tag is stale and removed with the rotation tag
}

// chooseRegions defaults the regions to the recorded ones and, when this run
// delivers a new key, warns when the given ones leave out a recorded region
// and decides what to record.
func (p *Rotation) chooseRegions(tags []types.Tag) error {
	recorded := provision.ParseRegionsTag(tags)
	if len(p.opts.Regions) == 0 {
		if len(recorded) == 0 {
			return fail.Usagef("no region given, and user %s records none (tag %s): pass --regions R1,R2 (run 'sesprov regions' for the list)", p.UserName, provision.RegionsTagKey)
		}
		// They were accepted when recorded: a region since dropped from
		// sesprov's table still counts.
		rs, err := derive.ResolveRegions(recorded, recorded)
		if err != nil {
			return fail.Usagef("user %s's tag %s=%q: %v; pass --regions R1,R2", p.UserName, provision.RegionsTagKey, strings.Join(recorded, " "), err)
		}
		p.opts.Regions = rs
		p.regions.recorded = true
	}
	if !p.Delivers() {
		return nil // no new key: the delivering run recorded its regions
	}
	if dropped := droppedRegions(recorded, p.opts.Regions); len(dropped) > 0 {
		p.opts.Notices.Warn(p.UserName, "user %s's credentials were made for %s; --regions %s leaves out %s: no password for it is derived from the new key, and the old one stops working once the old key is retired",
			p.UserName, strings.Join(recorded, ","), derive.JoinNames(p.opts.Regions, ","), strings.Join(dropped, ","))
	}
	t, ok := provision.RegionsTag(p.opts.Regions)
	switch {
	case !ok:
		p.regions.drop = len(recorded) > 0
	case len(tags)+newKeys(tags, TagKey, provision.RegionsTagKey) > provision.MaxUserTags:
		p.opts.Notices.Warn(p.UserName, "user %s has %d tags: the regions are not recorded (tag %s); pass --regions at the next rotation", p.UserName, len(tags), provision.RegionsTagKey)
	default:
		p.regions.write = &t
	}
	return nil
}

// droppedRegions are the recorded regions not in rs.
func droppedRegions(recorded []string, rs []derive.Region) []string {
	var out []string
	for _, name := range recorded {
		if !slices.ContainsFunc(rs, func(r derive.Region) bool { return r.Name == name }) {
			out = append(out, name)
		}
	}
	return out
}

// newKeys counts the keys not among tags.
func newKeys(tags []types.Tag, keys ...string) int {
	n := 0
	for _, k := range keys {
		if !slices.ContainsFunc(tags, func(t types.Tag) bool { return aws.ToString(t.Key) == k }) {
			n++
		}
	}
	return n
}
