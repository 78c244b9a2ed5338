// Progressive enhancement only: every page works without JavaScript.
import { initAll } from '/static/govuk/govuk-frontend.min.js'

initAll()

// Search filters: apply a facet as soon as its box is ticked (the "Apply filters" button still
// works, and is what you get without JavaScript).
for (const form of document.querySelectorAll('form[data-autosubmit]')) {
  for (const box of form.querySelectorAll('input[type=checkbox]')) {
    box.addEventListener('change', () => form.requestSubmit())
  }
}
