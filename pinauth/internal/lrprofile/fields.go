package lrprofile

import (
	"encoding/json"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
)

// LoginRadius profile fields the gateway stores as given (issue 16, bugs 2
// and 3). LoginRadius's v2 documents of account create, account update
// and update by access token list them as writable; the gateway keeps
// each under its documented spelling, checks its documented JSON type (an
// object for Country, arrays of objects for Addresses and PhoneNumbers, a
// string for Company…) and returns it in every profile. The table is
// derived from those documents (tests/testdata/loginradius/shapes.json,
// which a test holds it to): the type a document gives the post
// parameter, else the one its answers give the field.

// Field is one documented free profile field.
type Field struct {
	// Name is the documented spelling.
	Name string
	// Kinds are the JSON types the documents give it, "|"-separated:
	// "string", "number", "bool", "object" or "array".
	Kinds string
	// Items is the JSON type of an array's elements ("" for any).
	Items string
}

// profileFields are the documented free profile fields, in the
// documents' order of names (case-insensitive).
var profileFields = []Field{
	{"About", "string", ""},
	{"Addresses", "array", "object"},
	{"Age", "string", ""},
	{"AgeRange", "object", ""},
	{"Associations", "string", ""},
	{"Awards", "array", "object"},
	{"Badges", "array", "object"},
	{"BirthDate", "string", ""},
	{"Books", "array", "object"},
	{"Certifications", "array", "object"},
	{"City", "string", ""},
	{"Company", "string", ""},
	{"Country", "object", ""},
	{"Courses", "array", "object"},
	{"CoverPhoto", "string", ""},
	{"Currency", "string", ""},
	{"CurrentStatus", "array", "object"},
	{"CustomFields", "object", ""},
	{"Educations", "array", "object"},
	{"ExternalIds", "array", "object"},
	{"Family", "array", "object"},
	{"Favicon", "string", ""},
	{"FavoriteThings", "array", "object"},
	{"FirstName", "string", ""},
	{"FollowersCount", "number", ""},
	{"FriendsCount", "number", ""},
	{"FullName", "string", ""},
	{"Games", "array", "object"},
	{"Gender", "string", ""},
	{"GistsUrl", "string", ""},
	{"GravatarImageUrl", "string", ""},
	{"Hireable", "bool", ""},
	{"HomeTown", "string", ""},
	{"Honors", "string", ""},
	{"HttpsImageUrl", "string", ""},
	{"IMAccounts", "array", "object"},
	{"ImageUrl", "string", ""},
	{"Industry", "string", ""},
	{"InspirationalPeople", "array", "object"},
	{"InterestedIn", "array", "string"},
	{"Interests", "array", "object"},
	{"IsEmailSubscribed", "bool", ""},
	{"IsGeoEnabled", "string", ""},
	{"IsProtected", "bool", ""},
	{"JobBookmarks", "array", "object"},
	{"KloutScore", "object", ""},
	{"Languages", "array", "object"},
	{"LastName", "string", ""},
	{"LocalCity", "string", ""},
	{"LocalCountry", "string", ""},
	{"LocalLanguage", "string", ""},
	{"LRUserID", "string", ""},
	{"MainAddress", "string", ""},
	{"MemberUrlResources", "array", "object"},
	{"MiddleName", "string", ""},
	{"Movies", "array", "object"},
	{"MutualFriends", "array", "object"},
	{"NickName", "string", ""},
	{"NumRecommenders", "number", ""},
	{"Patents", "array", "object"},
	{"PhoneNumbers", "array", "object"},
	{"PlacesLived", "array", "object"},
	{"Political", "string", ""},
	{"Positions", "array", "object"},
	{"Prefix", "string", ""},
	{"PrivateGists", "number", ""},
	{"ProfessionalHeadline", "string", ""},
	{"ProfileCity", "string", ""},
	{"ProfileCountry", "string", ""},
	{"ProfileImageUrls", "object", ""},
	{"ProfileName", "string", ""},
	{"ProfileUrl", "string", ""},
	{"Projects", "array", "object"},
	{"ProviderAccessCredential", "object", ""},
	{"Publications", "array", "object"},
	{"PublicGists", "number", ""},
	{"PublicRepository", "number|string", ""},
	{"Quota", "string", ""},
	{"Quote", "string", ""},
	{"RecommendationsReceived", "array", "object"},
	{"RelatedProfileViews", "array", "object"},
	{"RelationshipStatus", "string", ""},
	{"Religion", "string", ""},
	{"RepositoryUrl", "string", ""},
	{"Skills", "array", "object"},
	{"Sports", "array", "object"},
	{"StarredUrl", "string", ""},
	{"State", "string", ""},
	{"Subscription", "object", ""},
	{"Suffix", "string", ""},
	{"Suggestions", "object", ""},
	{"TagLine", "string", ""},
	{"TeleVisionShow", "array", "object"},
	{"ThumbnailImageUrl", "string", ""},
	{"TimeZone", "string", ""},
	{"TotalPrivateRepository", "number", ""},
	{"TotalStatusesCount", "number", ""},
	{"Volunteer", "array", "object"},
	{"WebProfiles", "object", ""},
	{"Website", "string", ""},
}

// profileFieldsByKey finds a documented field by its lower-cased name.
var profileFieldsByKey = func() map[string]*Field {
	m := make(map[string]*Field, len(profileFields))
	for i := range profileFields {
		m[strings.ToLower(profileFields[i].Name)] = &profileFields[i]
	}
	return m
}()

// LookupField returns the documented free field of the folded key
// k, and false when k names none.
func LookupField(k string) (Field, bool) {
	f := profileFieldsByKey[k]
	if f == nil {
		return Field{}, false
	}
	return *f, true
}

// CheckField validates one free profile field as a write gives it:
// a documented field must have a documented type (null always clears it)
// and is stored under its documented spelling; any other field is kept
// under the spelling given. ok is false for a documented field of the
// wrong type.
func CheckField(key string, val json.RawMessage) (name string, ok bool) {
	f := profileFieldsByKey[apireq.FoldKey(key)]
	if f == nil {
		return key, true
	}
	if IsNull(val) {
		return f.Name, true
	}
	if !strings.Contains("|"+f.Kinds+"|", "|"+jsonTypeName(val)+"|") {
		return f.Name, false
	}
	if f.Items != "" {
		var elems []json.RawMessage
		if json.Unmarshal(val, &elems) != nil {
			return f.Name, false
		}
		for _, e := range elems {
			if jsonTypeName(e) != f.Items {
				return f.Name, false
			}
		}
	}
	return f.Name, true
}

// jsonTypeName names the JSON type of a raw value: "string", "number",
// "bool", "object", "array" or "null".
func jsonTypeName(v json.RawMessage) string {
	switch JSONKind(v) {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}
