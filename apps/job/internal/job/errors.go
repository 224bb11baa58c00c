package job

import "errors"

// Errors of the package. Test for them with errors.Is.
var (
	// ErrInvalid wraps every reason a job spec or a command is refused.
	ErrInvalid = errors.New("job: invalid")
	// ErrNotFound means no such job or run.
	ErrNotFound = errors.New("job: not found")
	// ErrFenced means a command carried a fencing token other than the
	// run's current one, or older than one already seen: it came from a
	// superseded dispatch and changes nothing.
	ErrFenced = errors.New("job: fenced")
	// ErrState means the run is not in a state that allows the command
	// (for example a start of a run already started).
	ErrState = errors.New("job: wrong run state")
	// ErrDecode wraps every reason an encoded command is refused.
	ErrDecode = errors.New("job: bad command encoding")
)
