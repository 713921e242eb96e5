// Package securityquestion holds what a tenant's security questions are
// and what a valid set of answers is: the catalogue of questions, the
// normal form in which answers are hashed and compared, the checks of an
// answer set sent to be stored or verified, and the question lists the API
// returns, in LoginRadius's shape. It hashes and stores nothing: the core
// does that, through its one credential gate.
package securityquestion

// Question is one question a tenant offers.
type Question struct {
	// ID is the question's QuestionId in the API.
	ID string
	// Text is the question as users read it.
	Text string
}

// Catalogue is a tenant's questions, in the order they are listed.
type Catalogue []Question

// Has reports whether id is the ID of one of c's questions.
func (c Catalogue) Has(id string) bool {
	for _, q := range c {
		if q.ID == id {
			return true
		}
	}
	return false
}

// View is one entry of a question list: LoginRadius's shape.
type View struct {
	QuestionID string `json:"QuestionId"`
	Question   string `json:"Question"`
}

// Views lists every question of c.
func (c Catalogue) Views() []View {
	views := make([]View, 0, len(c))
	for _, q := range c {
		views = append(views, View{QuestionID: q.ID, Question: q.Text})
	}
	return views
}

// Answered lists, in c's order, the questions of c that answers (an
// account's answer hashes by question id) has an answer to; never nil, so
// an empty list is sent as [].
func (c Catalogue) Answered(answers map[string]string) []View {
	views := []View{}
	for _, q := range c {
		if _, ok := answers[q.ID]; ok {
			views = append(views, View{QuestionID: q.ID, Question: q.Text})
		}
	}
	return views
}
