"""Case studies in the API, one concern a module.

- ``vocabulary``: the domain's enums (exchange/casestudies/vocab.py) exposed, caseStudyVocabulary;
- ``types``: CaseStudy, its outcome links and revisions; caseStudy, myCaseStudies, node(id:);
- ``search``: caseStudies (the flow itself is exchange/casestudies/finder.py);
- ``improvers``: improvers;
- ``mutations``: create, update, publish and withdraw.
"""
