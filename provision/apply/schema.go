package apply

import (
	"bytes"
	"encoding/json"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/provision"
)

// SchemaID is the $id of the senders file's JSON Schema.
const SchemaID = "https://github.com/sesprov/sesprov/senders.schema.json"

// durationPattern matches what list.ParseMaxAge accepts: whole days, a Go
// duration, or 0.
const durationPattern = `^(0|[0-9]+d|\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`

// Schema returns the JSON Schema (draft 2020-12) of a senders file,
// indented and the same on every call. Its sender properties come from the
// table Parse checks keys against, so the two know the same keys.
func Schema() []byte {
	s := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  SchemaID,
		"title":                "sesprov senders file",
		"description":          "The SES SMTP senders of an account, for 'sesprov apply -f FILE': apply creates, rotates and scopes the IAM users so they match.",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"senders"},
		"properties": map[string]any{
			"defaults": objectSchema(true, map[string]any{
				"type":        []string{"object", "null"},
				"description": "Settings every sender gets unless it gives its own (any sender key but name).",
			}),
			"senders": map[string]any{
				"type":        "array",
				"description": "The senders, one IAM user each. [] means none.",
				"items":       map[string]any{"$ref": "#/$defs/sender"},
			},
		},
		"$defs": map[string]any{
			"sender": objectSchema(false, map[string]any{
				"type":        "object",
				"description": "One sender: an IAM user with SES SMTP credentials.",
				"required":    []string{"name"},
			}),
		},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		panic(err) // maps of strings and slices always encode
	}
	return b.Bytes()
}

// objectSchema adds to s the properties of a sender (or of defaults) from
// the field table, and forbids any other key.
func objectSchema(defaults bool, s map[string]any) map[string]any {
	props := map[string]any{}
	for _, f := range fields {
		if defaults && f.senderOnly {
			continue
		}
		p := f.schema()
		p["description"] = f.doc
		props[f.key] = p
	}
	s["properties"] = props
	s["additionalProperties"] = false
	return s
}

func nameSchema() map[string]any {
	// ASCII spelled out: \w would match any letter in some validators.
	return map[string]any{"type": "string", "pattern": `^[A-Za-z0-9_+=,.@-]{1,64}$`}
}

func regionsSchema() map[string]any {
	var names []string
	for _, r := range derive.Regions() {
		if r.Usable() {
			names = append(names, r.Name)
		}
	}
	return map[string]any{
		"type":     "array",
		"minItems": 1,
		"items":    map[string]any{"type": "string", "enum": names},
	}
}

func deliverSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": `^(file|cmd|secretsmanager|ssm):.+`}
}

// durationSchema also takes the number 0, which YAML reads 0 as.
func durationSchema() map[string]any {
	return map[string]any{"anyOf": []any{
		map[string]any{"type": "string", "pattern": durationPattern},
		map[string]any{"const": 0},
	}}
}

func allowFromSchema() map[string]any {
	// An address with one @, a local part and a domain (wildcards allowed).
	return map[string]any{"type": "array", "items": map[string]any{"type": "string", "pattern": `^[^@\s]+@[^@\s]+$`}}
}

func pathSchema() map[string]any {
	return map[string]any{"type": "string", "maxLength": 512, "pattern": `^/([\x21-\x7e]+/)?$`}
}

func tagsSchema() map[string]any {
	return map[string]any{
		"type":          "object",
		"maxProperties": provision.MaxExtraUserTags,
		"propertyNames": map[string]any{"minLength": 1, "maxLength": 128, "not": map[string]any{"pattern": "^([aA][wW][sS]|[sS][eE][sS][pP][rR][oO][vV]):"}},
		// YAML reads cost: 1234 as a number; the parser takes it as the
		// text written, so the schema lets plain scalars be values too.
		"additionalProperties": map[string]any{"type": []string{"string", "number", "boolean"}, "maxLength": 256},
	}
}

func boundarySchema() map[string]any {
	return map[string]any{"type": "string", "pattern": `^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/.+`}
}
