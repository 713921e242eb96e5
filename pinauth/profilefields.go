package pinauth

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

// profileField is one documented free profile field.
type profileField struct {
	// name is the documented spelling.
	name string
	// kinds are the JSON types the documents give it, "|"-separated:
	// "string", "number", "bool", "object" or "array".
	kinds string
	// items is the JSON type of an array's elements ("" for any).
	items string
}

// profileFields are the documented free profile fields, in the
// documents' order of names (case-insensitive).
var profileFields = []profileField{
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
var profileFieldsByKey = func() map[string]*profileField {
	m := make(map[string]*profileField, len(profileFields))
	for i := range profileFields {
		m[strings.ToLower(profileFields[i].name)] = &profileFields[i]
	}
	return m
}()

// checkProfileField validates one free profile field as a write gives it:
// a documented field must have a documented type (null always clears it)
// and is stored under its documented spelling; any other field is kept
// under the spelling given. ok is false for a documented field of the
// wrong type.
func checkProfileField(key string, val json.RawMessage) (name string, ok bool) {
	f := profileFieldsByKey[apireq.FoldKey(key)]
	if f == nil {
		return key, true
	}
	if isNull(val) {
		return f.name, true
	}
	if !strings.Contains("|"+f.kinds+"|", "|"+jsonTypeName(val)+"|") {
		return f.name, false
	}
	if f.items != "" {
		var elems []json.RawMessage
		if json.Unmarshal(val, &elems) != nil {
			return f.name, false
		}
		for _, e := range elems {
			if jsonTypeName(e) != f.items {
				return f.name, false
			}
		}
	}
	return f.name, true
}

// jsonTypeName names the JSON type of a raw value: "string", "number",
// "bool", "object", "array" or "null".
func jsonTypeName(v json.RawMessage) string {
	switch jsonKind(v) {
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
