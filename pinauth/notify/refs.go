package notify

import (
	htemplate "html/template"
	ttemplate "text/template"
	"text/template/parse"
)

// secretRefs records which of Data's secret-carrying fields a template
// references: what a message's reader acts on. A set that references none
// of them cannot carry a link or a code, whatever the call puts in Data.
type secretRefs uint8

const (
	refLink secretRefs = 1 << iota
	refToken
	refOTP
)

// secretFields maps the Data fields that carry a message's secret to
// their bit.
var secretFields = map[string]secretRefs{"Link": refLink, "Token": refToken, "OTP": refOTP}

// textRefs returns the secret fields t and the templates it defines
// ({{define}}, {{block}}) reference. A defined template that is never
// called still counts: the answer errs towards "references", so that a
// set is never refused for a field it does use.
func textRefs(t *ttemplate.Template) secretRefs {
	return treesRefs(t.Templates(), func(u *ttemplate.Template) *parse.Tree { return u.Tree })
}

// htmlRefs is textRefs for an html/template, read before its first
// execution rewrites the trees with its escapers (which reference no
// Data field, so the answer would be the same after).
func htmlRefs(t *htemplate.Template) secretRefs {
	return treesRefs(t.Templates(), func(u *htemplate.Template) *parse.Tree { return u.Tree })
}

// treesRefs is the union of nodeRefs over the parse trees of ts.
func treesRefs[T any](ts []T, tree func(T) *parse.Tree) secretRefs {
	var r secretRefs
	for _, u := range ts {
		if t := tree(u); t != nil {
			r |= nodeRefs(t.Root)
		}
	}
	return r
}

// nodeRefs walks one parse tree: fields (.Link), variables ($.Link), and
// chains ((.).Link) in actions, the pipelines and bodies of if, with and
// range, and the arguments of template calls.
func nodeRefs(n parse.Node) secretRefs {
	var r secretRefs
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return 0
		}
		for _, c := range n.Nodes {
			r |= nodeRefs(c)
		}
	case *parse.ActionNode:
		r = nodeRefs(n.Pipe)
	case *parse.IfNode:
		r = branchRefs(&n.BranchNode)
	case *parse.WithNode:
		r = branchRefs(&n.BranchNode)
	case *parse.RangeNode:
		r = branchRefs(&n.BranchNode)
	case *parse.TemplateNode:
		r = nodeRefs(n.Pipe)
	case *parse.PipeNode:
		if n == nil {
			return 0
		}
		for _, c := range n.Cmds {
			r |= nodeRefs(c)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			r |= nodeRefs(a)
		}
	case *parse.FieldNode:
		r = identRefs(n.Ident)
	case *parse.VariableNode:
		// $.Link: the root Data's field; $x.Link names a field of
		// whatever $x holds, which is Data only if $x was set to it,
		// and counting it errs on the side of "references".
		if len(n.Ident) > 1 {
			r = identRefs(n.Ident[1:])
		}
	case *parse.ChainNode:
		r = nodeRefs(n.Node) | identRefs(n.Field)
	}
	return r
}

// branchRefs is nodeRefs of an if, with or range.
func branchRefs(b *parse.BranchNode) secretRefs {
	return nodeRefs(b.Pipe) | nodeRefs(b.List) | nodeRefs(b.ElseList)
}

// identRefs is the bit of a field chain's first field (.Link.Host is a
// use of Link; .Name.Link is not Data's).
func identRefs(ident []string) secretRefs {
	if len(ident) == 0 {
		return 0
	}
	return secretFields[ident[0]]
}
