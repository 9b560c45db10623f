# ruff: noqa: E501 -- prose phrase banks read better unbroken
"""Phrase banks for the demo's practice activity: how each demo community talks.

``demo.practice`` composes titles and Markdown bodies from these with a seeded random
generator, so every run writes the same year of activity. A topic keeps a thread coherent:
the question, its answers and the stories about it all draw on the same topic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    label: str  # a noun phrase: "venous leg ulcers"
    tags: tuple[str, ...]
    titles: tuple[str, ...]  # question titles; "{x}" takes one of *fills*
    fills: tuple[str, ...]
    context: tuple[str, ...]  # the asker's situation; may use "{x}"
    tried: tuple[str, ...]  # what the asker already tried (list items)
    advice: tuple[str, ...]  # what answerers suggest (list items or sentences)


@dataclass(frozen=True)
class Domain:
    place: str  # "on our caseload": where practice happens
    topics: tuple[Topic, ...]
    discussions: tuple[str, ...]  # discussion titles; "{label}" takes a topic's label
    results: tuple[str, ...]  # how a story turned out
    lessons: tuple[str, ...]  # what the teller takes from it
    replies: tuple[str, ...]  # short replies in discussions and stories
    code: tuple[tuple[str, str], ...] = ()  # (language, snippet) for answers in tech domains


# --- words every community uses ------------------------------------------------------------------

# When a community comes back to a title it already has.
RECURRING_TITLES = (
    "Revisiting: {title}",
    "{title} (another case)",
    "Round two: {title}",
    "{title}, again",
    "Still thinking about this: {title}",
)
QUESTION_CLOSERS = (
    "What would you do next?",
    "Has anyone found something that works reliably?",
    "Am I missing something obvious?",
    "How do you handle this where you work?",
    "Any pointers (or things to avoid) very welcome.",
    "Grateful for any experience, good or bad.",
)
ANSWER_OPENERS = (
    "We had almost exactly this last year.",
    "Short version: don't change everything at once.",
    "This comes up a lot, so here is what has worked for me:",
    "A few things, roughly in the order I'd try them:",
    "I'd look at the basics before anything fancy.",
    "Speaking from {years} years of doing this:",
    "Good question, and you're right to be cautious.",
    "Two things stand out from what you describe.",
)
ANSWER_CLOSERS = (
    "Happy to share our checklist if it helps.",
    "Let us know how it goes.",
    "It took us a few weeks to see the difference, so give it time.",
    "Write down what you change and when; it makes the review much easier.",
    "",
    "",
)
FOLLOW_UPS = (
    "Thanks {who}, that makes sense. I'll try it this week and report back.",
    "{who} this is really helpful, especially the second point.",
    "Thanks {who}. We tried the first suggestion and it already made a difference.",
    "{who} did you need anyone's sign-off for that, or did you just start?",
    "Good to know I'm not the only one, {who}. Trying it tomorrow.",
)
QUOTE_REPLIES = (
    "{who} I agree, and I'd add that it only works if everyone does it the same way.",
    "Interesting, {who}. We found the opposite, but our setting is quite different.",
    "{who} how long did it take before you saw a change?",
    "+1 to what {who} said. Writing it down was the part that made it stick for us.",
    "{who} would you mind sharing the template?",
)
CC_LINES = (
    "cc {who}, I think you mentioned something similar a while ago.",
    "{who} might know, given the work you've been doing on this.",
    "Tagging {who} who helped with a similar case.",
)
EDIT_NOTES = (
    "**Edit:** added the details people asked for below.",
    "**Edit:** fixed a typo in the second point; the numbers are right now.",
    "**Update:** this worked. Thanks everyone.",
    "**Edit:** clarified that this is for adults only.",
)
NOT_WORKED_NOTES = (
    "Tried it for two weeks; no change for us.",
    "Didn't suit our setting: not enough staff to keep it up.",
    "Made things worse at first; we went back to the old approach.",
    "Only partly: it helped with the easy cases.",
)
STORY_TITLES = (
    "What finally worked with {label}",
    "A month of trying a new approach to {label}",
    "The {label} case that changed how I work",
    "Small change, big difference: {label}",
    "What I got wrong about {label}",
    "Lessons from a hard week with {label}",
)
STORY_OPENERS = (
    "I want to share this because it surprised me.",
    "Long post, sorry, but I've been thinking about this for weeks.",
    "Not a question, just something that happened and might help someone.",
    "Sharing with permission from my team.",
)
DISCUSSION_OPENERS = (
    "Curious how others approach this.",
    "We're reviewing how we do this and I'd love a sense of what's normal elsewhere.",
    "Prompted by a conversation at work this week.",
    "I keep going back and forth on this.",
)
DISCUSSION_CLOSERS = (
    "What do you do, and why?",
    "What has changed in your practice over the last year or two?",
    "Would love to hear from people in different settings.",
    "Anything you'd never go back to?",
)
FLAG_NOTES = (
    "Looks like an advert.",
    "This doesn't seem to belong in this community.",
    "Possibly identifiable details in the second paragraph.",
    "",
)
EVENT_TITLES = (
    ("meetup", "Evening meetup: {label}"),
    ("practice", "Practice session: {label} case review"),
    ("webinar", "Webinar: what's new in {label}"),
    ("practice", "Peer practice: bring a {label} problem"),
)
EVENT_PLACES = (
    "Room 2.14, Westfield Education Centre",
    "The Crown Room, Leeds Library",
    "Seminar room B, Northgate Hospital",
    "Upstairs at the Railway Tavern, Sheffield",
)
EVENT_DESCRIPTIONS = (
    "An informal hour to compare notes on **{label}**.\n\n"
    "- 10 minutes: one member shares a recent case\n"
    "- 30 minutes: small groups, then pooled ideas\n"
    "- 20 minutes: open questions\n\n"
    "No slides needed. Bring one thing that worked and one that didn't.",
    "A practical session on **{label}**. We'll work through two real (anonymised) cases and "
    "agree what we would each do differently on Monday.\n\nNotes will be posted afterwards.",
    "A short talk followed by questions: what the evidence and our own experience say about "
    "*{label}* this year.",
)


# --- wound care ---------------------------------------------------------------------------------

WOUND = Domain(
    place="on our caseload",
    topics=(
        Topic(
            label="venous leg ulcers",
            tags=("leg ulcers", "compression"),
            titles=(
                "Compression for {x}: where do you start?",
                "Venous leg ulcer not healing: {x}",
                "Reapplying compression safely with {x}",
            ),
            fills=(
                "a patient with an ABPI of 0.8",
                "heavy exudate under the bandages",
                "a patient who keeps taking the bandages off",
                "fragile skin around the ulcer",
            ),
            context=(
                "District nursing caseload, lady in her 80s, ulcer on the gaiter area for about "
                "four months. We're seeing {x}.",
                "Patient with a long history of venous disease; the ulcer has stalled for six weeks "
                "despite weekly visits, and now {x}.",
                "New to the team and still finding my feet with compression; the case in front of "
                "me involves {x}.",
            ),
            tried=(
                "Two-layer system, changed twice a week",
                "Emollient to the surrounding skin at each change",
                "Leg elevation advice (not always followed)",
                "Wound swab, which came back with mixed skin flora",
                "Measured and photographed every fortnight",
            ),
            advice=(
                "Repeat the Doppler if the last one is more than three months old",
                "Manage the exudate first: a superabsorbent under the compression buys you time",
                "Ask what makes the bandages unbearable; often it's the bulk, and hosiery kits help",
                "Reduced compression is still compression; 20–30 mmHg is better than nothing",
                "Protect the periwound skin with a barrier film at every change",
                "Refer to vascular if the ulcer hasn't reduced in size by 40% in four weeks",
                "Agree a realistic goal with the patient; comfort can be the goal for a while",
            ),
        ),
        Topic(
            label="pressure ulcers",
            tags=("pressure ulcers", "prevention"),
            titles=(
                "Category 2 or moisture damage? {x}",
                "Preventing pressure damage {x}",
                "Heel pressure ulcers {x}",
            ),
            fills=(
                "in a patient who can't turn",
                "at home with no profiling bed",
                "after a long wait in ED",
                "in someone at the end of life",
            ),
            context=(
                "We've had three new heel ulcers this quarter, all {x}.",
                "I'm never sure how to grade the sacral area {x}.",
                "The skin check at admission was clear, but two days later there was damage {x}.",
            ),
            tried=(
                "Two-hourly repositioning chart",
                "Hybrid mattress on order",
                "Heel offloading with pillows",
                "Barrier cream for incontinence",
            ),
            advice=(
                "Use an offloading boot rather than pillows; pillows slip overnight",
                "Check the heels at every visit, not only when the chart says so",
                "Moisture damage is irregular and shallow; pressure damage sits over a bony point",
                "Photograph with a ruler and the date in the frame so the next nurse can compare",
                "Involve the family in the repositioning plan; they're there when we're not",
                "Report it as an incident even if it was present on admission; it helps the trend data",
            ),
        ),
        Topic(
            label="dressing choice",
            tags=("dressings", "formulary"),
            titles=(
                "Which dressing for {x}?",
                "Formulary alternatives for {x}",
                "Silver or honey for {x}?",
            ),
            fills=(
                "a sloughy cavity wound",
                "a highly exuding surgical wound",
                "a dry necrotic toe",
                "an overgranulating wound",
            ),
            context=(
                "Post-op patient on the ward with {x}; the current dressing is leaking by lunchtime.",
                "Our formulary changed last month and I'm unsure what replaces the old choice for {x}.",
                "Practice nurse here; we see {x} maybe once a month, so I'm rusty.",
            ),
            tried=(
                "Hydrofibre with a foam secondary dressing",
                "Daily changes, which the patient hates",
                "Asked the tissue viability team, waiting for a reply",
            ),
            advice=(
                "Match the dressing to the wound bed, not the brand: what is the tissue type today?",
                "Two weeks of an antimicrobial, then review; don't leave silver on indefinitely",
                "Keep dry necrosis dry on an ischaemic foot, and get the vascular opinion first",
                "A foam with a silicone border cut the changes to three a week for us",
                "Overgranulation often settles with a firm foam and a bit of pressure",
                "Write the reasoning in the notes so the next person doesn't change it for no reason",
            ),
        ),
        Topic(
            label="negative pressure therapy",
            tags=("npwt", "surgical wounds"),
            titles=(
                "NPWT {x}",
                "Keeping a seal on NPWT {x}",
                "When to stop negative pressure {x}",
            ),
            fills=(
                "over a groin wound",
                "at home with a portable unit",
                "on a dehisced abdominal wound",
                "with a patient who is restless at night",
            ),
            context=(
                "We're losing the seal most nights {x} and the alarms are distressing the patient.",
                "Surgical team started NPWT {x}; the discharge plan is vague about review.",
            ),
            tried=(
                "Extra drape and a hydrocolloid strip at the edge",
                "Lower pressure setting",
                "Teaching the family to clamp and call",
            ),
            advice=(
                "Bridge the tubing away from creases; most leaks start where the skin folds",
                "A thin hydrocolloid frame under the drape gives the seal something to hold",
                "Agree a stop date with the surgical team before discharge, in writing",
                "Check the canister volume daily; a sudden drop can mean a blocked tube",
                "If the wound bed stops changing after two weeks, question whether it's still helping",
            ),
        ),
    ),
    discussions=(
        "How does your team document {label}?",
        "{label}: what has changed in your practice this year?",
        "Teaching students about {label}",
        "Do you photograph every wound, and where do the photos live?",
        "Caseload pressure and wound care: how do you protect the time?",
    ),
    results=(
        "Eight weeks later the wound had halved in size, and the patient was walking to the shop again.",
        "It didn't heal, but the pain scores dropped and she stopped dreading our visits.",
        "The whole team now uses the same assessment, and our notes finally make sense to each other.",
    ),
    lessons=(
        "Ask the patient what matters to them before choosing a product.",
        "Consistency beat any single dressing.",
        "Photographs with a ruler saved us a lot of arguments.",
    ),
    replies=(
        "We saw the same on the ward; the exudate was the real problem all along.",
        "Our tissue viability nurse says the same: reassess before you change the plan.",
        "This is so familiar. The family were the key for us too.",
        "Thanks for writing this up; I'm sharing it with our students.",
        "Did you need a new prescription for that, or was it on the formulary?",
    ),
)


# --- palliative care ----------------------------------------------------------------------------

PALLIATIVE = Domain(
    place="on the unit",
    topics=(
        Topic(
            label="breathlessness at the end of life",
            tags=("symptom control", "breathlessness"),
            titles=(
                "Breathlessness {x}",
                "Managing breathlessness {x}: what has helped?",
                "Low-dose opioids for breathlessness {x}",
            ),
            fills=(
                "in advanced COPD at home",
                "when the family are frightened",
                "in someone who refuses oxygen",
                "overnight in a care home",
            ),
            context=(
                "Man in his 70s, advanced lung disease, at home with his wife. Episodes {x} are "
                "getting worse and she calls 999 each time.",
                "Hospice at home team; we keep meeting this {x}.",
            ),
            tried=(
                "Fan to the face and an open window",
                "Regular low-dose oral morphine",
                "Breathing control techniques from the physio",
                "A written crisis plan on the fridge",
            ),
            advice=(
                "The handheld fan is underrated; show the family how to use it, not just the patient",
                "A written plan for 'what to do when it starts' reduces the 999 calls",
                "Anticipatory medicines in the house, with a clear note of who can give them",
                "Sit with the family during an episode once; it changes how they cope alone",
                "Review every 48 hours at first; doses that worked on Monday may not on Thursday",
                "Ask the GP to record the wish to stay at home where the ambulance crew will see it",
            ),
        ),
        Topic(
            label="difficult conversations",
            tags=("communication", "advance care planning"),
            titles=(
                "Starting the conversation {x}",
                "Advance care planning {x}",
                "When the family ask us not to tell {x}",
            ),
            fills=(
                "with someone who keeps changing the subject",
                "with a younger patient",
                "when English isn't their first language",
                "after a new diagnosis",
            ),
            context=(
                "I find it hardest {x}. I don't want to take hope away, but time is short.",
                "Recently qualified, and I've been asked to start these conversations {x}.",
            ),
            tried=(
                "Asking what they understand about their illness first",
                "Booking a longer appointment",
                "A professional interpreter rather than family",
            ),
            advice=(
                "Ask permission: 'Would it help to talk about what might happen?'",
                "Hope and honesty aren't opposites; you can plan for the worst and hope for the best",
                "Silence is fine. Count to ten before you fill it",
                "Use a professional interpreter, never the grandchildren",
                "Write down what was said and what was agreed, in their words",
                "Debrief afterwards with a colleague, even for five minutes",
            ),
        ),
        Topic(
            label="syringe drivers",
            tags=("syringe drivers", "medicines"),
            titles=(
                "Syringe driver compatibility {x}",
                "Setting up a syringe driver {x}",
                "Site reactions with a syringe driver {x}",
            ),
            fills=(
                "with three drugs",
                "at home over a weekend",
                "when the patient is very thin",
                "after a recent dose change",
            ),
            context=(
                "We had a question last night about mixing drugs {x} and nobody on shift was sure.",
                "The site keeps getting red and sore {x}; we're resiting every day.",
            ),
            tried=(
                "Checked the compatibility chart",
                "Water for injection as the diluent",
                "Resiting to the upper chest",
            ),
            advice=(
                "Use the palliative care formulary's compatibility tables and ring the hospice pharmacist",
                "Dilute more: a larger volume often stops the site reactions",
                "A soft cannula instead of a metal needle made a difference for us",
                "Check the line and site at every visit and write the volume remaining",
                "Have the out-of-hours plan written before Friday afternoon",
            ),
        ),
        Topic(
            label="looking after ourselves",
            tags=("wellbeing", "team"),
            titles=(
                "Supporting a colleague {x}",
                "Debriefing {x}",
                "How do you switch off {x}?",
            ),
            fills=(
                "after a difficult death",
                "when the team is short-staffed",
                "after a run of deaths in one week",
                "when it's someone you knew well",
            ),
            context=(
                "It's been a heavy few weeks {x}. I want to do better for the team.",
                "Our team has no formal support {x} and I think we need something.",
            ),
            tried=("An informal chat in the office", "Signposting to occupational health"),
            advice=(
                "A ten-minute 'hot debrief' at the end of the shift, same questions every time",
                "Schwartz rounds, if your trust runs them, are worth protecting",
                "Notice who hasn't said anything; they often need it most",
                "Mark the deaths in some way; we light a candle at handover",
                "Clinical supervision shouldn't be optional in this work",
            ),
        ),
    ),
    discussions=(
        "{label}: what do you wish you had known earlier?",
        "How does your service approach {label}?",
        "What does a good death look like in your setting?",
        "Training new staff for {label}",
    ),
    results=(
        "It wasn't perfect, but the last weeks were calmer, and that was what he had asked for.",
        "The family told us afterwards that having things written down made them feel less alone.",
        "The team asked to make it a regular part of how we work.",
    ),
    lessons=(
        "Plans written in plain words get used.",
        "The family are part of the care, not visitors to it.",
        "Look after the people doing the caring, or nobody gets cared for.",
    ),
    replies=(
        "Thank you for sharing this. It stayed with me.",
        "We do something very similar, and it's made a difference to the night staff.",
        "This is the kind of thing I wish we taught more of.",
        "Sending you and your team strength this week.",
    ),
)


# --- physics teaching -------------------------------------------------------------------------

PHYSICS = Domain(
    place="in my classroom",
    topics=(
        Topic(
            label="teaching electricity",
            tags=("electricity", "misconceptions"),
            titles=(
                "Explaining current and voltage {x}",
                "Series and parallel circuits {x}",
                "Electricity misconceptions {x}",
            ),
            fills=(
                "to Year 9",
                "without the rope model",
                "with a mixed-attainment group",
                "when half the ammeters are broken",
            ),
            context=(
                "Non-specialist teaching physics this year. I'm struggling {x}; they keep saying "
                "current gets 'used up'.",
                "Year 10 practical on circuits next week {x}. The last time it was chaos.",
            ),
            tried=(
                "The water pipe analogy",
                "Simulations on the laptops",
                "A card sort of true/false statements",
            ),
            advice=(
                "The rope loop model: the whole rope moves at once, nothing is used up",
                "Ask them to predict before they measure; the surprise is the lesson",
                "Put an ammeter either side of the bulb and let them see the readings match",
                "Keep one working kit per pair and a box of spare bulbs on your desk",
                "Diagnostic questions at the start tell you who thinks current is consumed",
                "Use the 'big circuit' on the floor with the whole class holding the loop",
            ),
        ),
        Topic(
            label="required practicals",
            tags=("practical work", "gcse"),
            titles=(
                "Required practical on {x}: tips?",
                "Getting good results for {x}",
                "Running the {x} practical in 50 minutes",
            ),
            fills=(
                "specific heat capacity",
                "resistance of a wire",
                "waves in a ripple tank",
                "force and extension of a spring",
            ),
            context=(
                "Our results for {x} were all over the place last year and the write-ups were weak.",
                "First time running {x} with Year 11; the technician has left and the kit is a mystery.",
            ),
            tried=(
                "A worked example of the method",
                "Pre-drawn results tables",
                "Demonstrating first, then the class repeats it",
            ),
            advice=(
                "Give them the results table but not the method; planning is where the marks are",
                "Run it as a circus: half the class measures while half analyses yesterday's data",
                "Check the kit the week before; one faulty power pack ruins a lesson",
                "Photograph a good set-up and put it on the board",
                "Ask the exam-style questions straight after, while the practical is fresh",
            ),
        ),
        Topic(
            label="forces and motion",
            tags=("forces", "misconceptions"),
            titles=(
                "Teaching Newton's third law {x}",
                "Forces misconceptions {x}",
                "Resultant force {x}",
            ),
            fills=(
                "to Year 8",
                "that survive every lesson",
                "with free-body diagrams",
                "using everyday examples",
            ),
            context=(
                "My Year 10s still believe a moving object needs a force to keep moving. I've "
                "tried a few things {x}.",
                "Planning the forces unit {x} and want to do better than last year.",
            ),
            tried=(
                "Air track demo",
                "Video of astronauts on the ISS",
                "Free-body diagram practice sheets",
            ),
            advice=(
                "Start with a hover puck; once friction goes, the idea lands",
                "Insist on labelling pairs: 'force of A on B', every time",
                "Ask 'what would happen if there were no friction?' before any equations",
                "Retrieval questions on forces every week until the end of the year",
                "Let them argue in pairs and then test the claim with a trolley",
            ),
        ),
        Topic(
            label="energy",
            tags=("energy", "curriculum"),
            titles=(
                "Teaching energy stores {x}",
                "Energy transfers {x}",
                "Sankey diagrams {x}",
            ),
            fills=(
                "without 'forms of energy'",
                "for a non-specialist",
                "at Key Stage 3",
                "with a low-attaining group",
            ),
            context=(
                "The department moved to the stores and pathways approach and I'm finding it hard "
                "{x}.",
                "My class can chant 'energy is conserved' but can't apply it {x}.",
            ),
            tried=(
                "Energy store cards",
                "Bouncing ball demonstration",
                "Worked examples with numbers",
            ),
            advice=(
                "Always start with a before-and-after snapshot: which stores changed?",
                "Ban the word 'forms' in your own talk first; they copy you",
                "Use a bouncing ball and ask where the energy went after each bounce",
                "Calculations help: once they compute a store, it becomes real",
                "Pair each new idea with one practical, even a two-minute demo",
            ),
        ),
    ),
    discussions=(
        "{label}: what works with your classes?",
        "How do you sequence {label} across Key Stage 3 and 4?",
        "Favourite demonstration for {label}?",
        "Non-specialists teaching physics: what support helped you most?",
        "Homework that's worth setting in physics",
    ),
    results=(
        "The end-of-unit test showed the misconception gone for most of the class, for the first time.",
        "Two pupils asked to stay at lunch to try it again. That never happens with Year 9.",
        "The department adopted it, and the technician loves that the kit comes back complete.",
    ),
    lessons=(
        "Prediction first, measurement second.",
        "Misconceptions need to be said out loud before they can change.",
        "Simple kit that works beats clever kit that doesn't.",
    ),
    replies=(
        "Stealing this for Monday, thank you.",
        "We do the same demo but I'd never thought of asking them to predict first.",
        "Our technician would love this. Sharing it.",
        "Does this work with Year 7, do you think?",
        "Same here. Year 9 after lunch is a different species.",
    ),
)


# --- early-career teachers ----------------------------------------------------------------------

EARLY_CAREER = Domain(
    place="in school",
    topics=(
        Topic(
            label="behaviour management",
            tags=("behaviour", "classroom"),
            titles=(
                "Low-level disruption {x}",
                "Keeping a class on task {x}",
                "Behaviour with a tricky group {x}",
            ),
            fills=(
                "on Friday afternoons",
                "after a cover lesson",
                "when I'm new to the school",
                "in a shared classroom",
            ),
            context=(
                "Second term as an ECT. One group is lovely one to one but chatty and unsettled "
                "{x}.",
                "My mentor says my routines are good, but it all falls apart {x}.",
            ),
            tried=(
                "A seating plan, changed twice",
                "Positive phone calls home",
                "The school's warning system",
                "A silent start task",
            ),
            advice=(
                "Same routine at the door every single lesson; they relax when they know what's next",
                "Narrate the positives: 'I can see the front row are ready'",
                "Deal with it privately and quietly; an audience makes it worse",
                "Follow through every time, even when you're tired",
                "Ask a colleague who has them for another subject what works",
                "Plan the first five minutes in detail; that's where lessons are won or lost",
            ),
        ),
        Topic(
            label="workload",
            tags=("workload", "wellbeing"),
            titles=(
                "Marking workload {x}",
                "Planning time {x}",
                "Getting home before 7 {x}",
            ),
            fills=(
                "in my first year",
                "with five different classes",
                "when I'm also doing my ECT tasks",
                "during report season",
            ),
            context=(
                "I'm working every evening and most of Sunday {x}. I can't keep this up.",
                "I spend hours on resources {x} and then run out of time to mark.",
            ),
            tried=("A to-do list", "Reusing last year's slides", "Marking in school"),
            advice=(
                "Whole-class feedback instead of written comments in every book",
                "Use the department's resources and adapt them; you don't need to write your own",
                "Pick one evening a week with no work at all, and protect it",
                "Time-box planning: 30 minutes per lesson, then it's good enough",
                "Tell your mentor; they can't help with what they don't know",
            ),
        ),
        Topic(
            label="mentoring",
            tags=("mentoring", "ect"),
            titles=(
                "Getting the most from my mentor {x}",
                "Mentor meetings {x}",
                "Feedback from observations {x}",
            ),
            fills=(
                "when they're very busy",
                "that feel like a tick-box",
                "that I don't agree with",
                "in a different subject",
            ),
            context=(
                "My mentor is kind but our meetings keep being cancelled {x}.",
                "I had an observation last week and the feedback was vague {x}.",
            ),
            tried=("Emailing questions in advance", "Keeping a reflection log"),
            advice=(
                "Bring one specific thing you want help with to every meeting",
                "Ask for one action step, small enough to try tomorrow",
                "Ask to observe your mentor teaching the same class",
                "Agree a standing time and treat it like a lesson",
                "Your induction tutor is there if the mentoring isn't happening",
            ),
        ),
        Topic(
            label="lesson planning",
            tags=("planning", "retrieval practice"),
            titles=(
                "Planning a sequence of lessons {x}",
                "Retrieval practice {x}",
                "Adapting lessons {x}",
            ),
            fills=(
                "for pupils with SEND",
                "that doesn't eat the whole lesson",
                "for a class two years behind",
                "without a detailed scheme of work",
            ),
            context=(
                "I'm planning lesson by lesson and it shows {x}.",
                "The school wants retrieval in every lesson; mine take 20 minutes {x}.",
            ),
            tried=("Five-question quizzes", "Knowledge organisers"),
            advice=(
                "Plan backwards from the end-of-unit assessment",
                "Three retrieval questions, five minutes, answers straight away",
                "Mix in questions from last term, not only last lesson",
                "Ask your SENCO for one concrete strategy per pupil, not the whole report",
                "Keep a bank of hinge questions to check understanding mid-lesson",
            ),
        ),
    ),
    discussions=(
        "{label}: what do you wish someone had told you in training?",
        "What's one routine that transformed your classroom?",
        "How do you switch off in the holidays?",
        "{label} in your first term: honest experiences",
    ),
    results=(
        "By half term the class were settling in two minutes instead of ten.",
        "I'm leaving school by 5:30 three days a week now, and my lessons haven't got worse.",
        "My mentor and I now plan one lesson together every fortnight, and it's the best hour of my week.",
    ),
    lessons=(
        "Routines are kindness, to them and to you.",
        "Ask for help earlier than feels comfortable.",
        "Good enough, delivered well, beats perfect and exhausted.",
    ),
    replies=(
        "This is so reassuring to read. Thank you.",
        "I needed this today.",
        "Mentor here: this is exactly what I'd say, and it's good to see it from the other side.",
        "We use the same thing and it's made a big difference.",
        "Did your school support you with this, or did you just start doing it?",
    ),
)


# --- school leadership --------------------------------------------------------------------------

LEADERS = Domain(
    place="in our school",
    topics=(
        Topic(
            label="staff retention",
            tags=("staffing", "wellbeing"),
            titles=(
                "Keeping good teachers {x}",
                "Recruitment {x}",
                "Flexible working requests {x}",
            ),
            fills=(
                "in shortage subjects",
                "when we can't match salaries",
                "in a small primary",
                "after a difficult inspection",
            ),
            context=(
                "We've lost three good teachers in two years {x}. Exit interviews all say workload.",
                "Our governors want a retention plan {x} and I'd like to learn from what's worked.",
            ),
            tried=("A workload survey", "Reducing meetings", "Protected PPA time"),
            advice=(
                "Cut something visible: we dropped a data drop and staff noticed",
                "Say yes to flexible working by default and manage the timetable around it",
                "Stay interviews, not just exit interviews",
                "Give early-career staff a reduced timetable in their second year too",
                "Make the wellbeing plan about workload, not yoga",
            ),
        ),
        Topic(
            label="curriculum review",
            tags=("curriculum", "leadership"),
            titles=(
                "Curriculum review {x}",
                "Leading a curriculum change {x}",
                "Subject leaders and {x}",
            ),
            fills=(
                "before an inspection",
                "with limited time",
                "across a trust",
                "in the foundation subjects",
            ),
            context=(
                "We're reviewing the curriculum {x} and I don't want it to become a paper exercise.",
                "Subject leaders are enthusiastic but stretched {x}.",
            ),
            tried=("Subject deep-dive practice", "A curriculum map on the wall"),
            advice=(
                "Start with what pupils should know by the end, then work backwards",
                "Protect subject leader time in the calendar before anything else",
                "Talk to pupils: they'll tell you what they actually remember",
                "Change one year group at a time",
            ),
        ),
        Topic(
            label="attendance",
            tags=("attendance", "pastoral"),
            titles=(
                "Persistent absence {x}",
                "Attendance after the pandemic {x}",
                "Working with families on attendance {x}",
            ),
            fills=(
                "in Year 9",
                "among pupils with SEND",
                "when fines don't work",
                "with limited pastoral staff",
            ),
            context=(
                "Persistent absence is stuck at 22% {x}. The usual letters aren't moving it.",
                "We've tried most things {x} and I'd like to hear what has actually worked.",
            ),
            tried=("Letters home", "Attendance panels", "Rewards for full attendance"),
            advice=(
                "A named adult for each persistently absent pupil, who phones on day one",
                "Home visits early, before it becomes a pattern",
                "Find out what the barrier is; it's rarely the pupil not caring",
                "Rewards for 100% attendance penalise the pupils who are ill; we dropped them",
            ),
        ),
    ),
    discussions=(
        "{label}: what are you trying this year?",
        "How do you look after yourself as a leader?",
        "Preparing for inspection without burning out the staff",
    ),
    results=(
        "Staff turnover halved the next year, and the survey showed workload as the biggest improvement.",
        "Attendance rose by four points over two terms.",
        "Subject leaders now present to governors themselves, and they're proud of the work.",
    ),
    lessons=(
        "Take something away before you add something new.",
        "Trust the people closest to the pupils.",
        "Small, boring consistency beats the big initiative.",
    ),
    replies=(
        "This chimes with our experience.",
        "Really useful, thank you. Could we talk offline?",
        "We tried something similar but our trust wasn't keen. How did you get buy-in?",
        "Saving this for our next SLT meeting.",
    ),
)


# --- site reliability ---------------------------------------------------------------------------

SRE = Domain(
    place="in our team",
    topics=(
        Topic(
            label="alert fatigue",
            tags=("alerting", "on-call"),
            titles=(
                "Too many pages {x}",
                "Alert fatigue {x}: how did you fix it?",
                "Paging on symptoms, not causes, {x}",
            ),
            fills=(
                "on a small team",
                "after a migration to Kubernetes",
                "at night",
                "from disk usage alerts",
            ),
            context=(
                "We average 40 pages a week {x} and maybe five are actionable. People are burning out.",
                "Inherited an alerting setup {x}; every alert is critical and nobody trusts them.",
            ),
            tried=(
                "Raised thresholds on the noisiest alerts",
                "Added a runbook link to each alert",
                "Weekly review of pages in the team meeting",
            ),
            advice=(
                "Page only on SLO burn rate; everything else goes to a ticket queue",
                "Delete any alert nobody acted on in the last month",
                "Every page needs a runbook, and an owner who reviews it quarterly",
                "Multi-window burn-rate alerts cut our pages by 80%",
                "Track pages per on-call shift as a team metric and review it weekly",
            ),
        ),
        Topic(
            label="SLOs",
            tags=("slos", "observability"),
            titles=(
                "Choosing an SLO {x}",
                "Error budgets {x}",
                "Getting product to care about SLOs {x}",
            ),
            fills=(
                "for a batch pipeline",
                "for an internal API",
                "when we have no good metrics",
                "with a monolith",
            ),
            context=(
                "We're introducing SLOs {x} and I'm stuck on what to measure.",
                "Leadership asked for 99.99% {x}. We currently don't measure availability at all.",
            ),
            tried=(
                "Uptime checks from outside",
                "Latency histograms in Prometheus",
                "A spreadsheet of incidents per quarter",
            ),
            advice=(
                "Measure what users feel: successful requests over total, at the load balancer",
                "Start with a target you already meet, then tighten it",
                "Agree in writing what happens when the budget runs out, before it runs out",
                "For batch jobs, measure freshness: how old is the newest output?",
                "Put the SLO dashboard in front of the product manager every sprint review",
            ),
        ),
        Topic(
            label="on-call",
            tags=("on-call", "team health"),
            titles=(
                "Designing an on-call rotation {x}",
                "On-call handover {x}",
                "Compensating on-call {x}",
            ),
            fills=(
                "for five people",
                "across time zones",
                "when developers join the rota",
                "in a startup",
            ),
            context=(
                "We're setting up a rotation {x} and want it to be humane from day one.",
                "Our on-call is a week long {x}, and people dread it.",
            ),
            tried=("A shared calendar", "Handover notes in the wiki"),
            advice=(
                "Follow-the-sun if you have the time zones; nobody should be paged at 3am routinely",
                "A 15-minute handover call beats any written template",
                "Time off in lieu after a bad night, automatically, no asking",
                "Shadow shifts before anyone goes on call alone",
                "Keep the rotation at six people or more; fewer and it never ends",
            ),
        ),
        Topic(
            label="PostgreSQL operations",
            tags=("postgresql", "databases"),
            titles=(
                "PostgreSQL {x}",
                "Replication lag {x}",
                "Vacuum problems {x}",
            ),
            fills=(
                "during peak traffic",
                "on a 2 TB table",
                "after a major version upgrade",
                "with long-running transactions",
            ),
            context=(
                "We're seeing issues {x} and the graphs don't make the cause obvious.",
                "Managed Postgres, moderately busy, and we keep hitting trouble {x}.",
            ),
            tried=(
                "Increased max_wal_size",
                "Added an index on the hot query",
                "Restarted the replica (it helped for a day)",
            ),
            advice=(
                "Look at pg_stat_activity for idle-in-transaction sessions first",
                "Set idle_in_transaction_session_timeout; it saved us twice",
                "Tune autovacuum per table for the big ones, not globally",
                "Check for a long-running analytics query on the replica holding back cleanup",
                "Upgrade rehearsals on a restored snapshot, timed, every time",
            ),
        ),
    ),
    discussions=(
        "{label}: what does good look like at your company?",
        "What's the most useful dashboard you've built?",
        "Runbooks: wiki, repo, or in the alert itself?",
        "How do you measure toil?",
    ),
    results=(
        "Pages dropped from forty a week to six, and the on-call survey went from 2/5 to 4/5.",
        "We caught the next regression within minutes instead of days.",
        "The team stopped dreading on-call weeks, which I count as the real win.",
    ),
    lessons=(
        "Measure what users feel, not what servers do.",
        "Delete alerts ruthlessly.",
        "Write the runbook during the incident, not after.",
    ),
    replies=(
        "We went through the same thing last year. The burn-rate alerts were the turning point.",
        "Great write-up. Did you keep any cause-based alerts at all?",
        "Bookmarking this for our next retro.",
        "+1, especially about deleting alerts.",
        "How did you get management to accept the lower target?",
    ),
    code=(
        (
            "promql",
            'sum(rate(http_requests_total{status=~"5.."}[1h]))\n'
            "  / sum(rate(http_requests_total[1h])) > (14.4 * 0.001)",
        ),
        (
            "sql",
            "SELECT pid, now() - xact_start AS age, state, left(query, 60)\n"
            "FROM pg_stat_activity\n"
            "WHERE state <> 'idle'\n"
            "ORDER BY age DESC\n"
            "LIMIT 10;",
        ),
        (
            "yaml",
            "- alert: ErrorBudgetBurnFast\n"
            "  expr: slo:error_ratio:rate1h > 14.4 * 0.001 and slo:error_ratio:rate5m > 14.4 * 0.001\n"
            "  for: 2m\n"
            "  labels:\n"
            "    severity: page",
        ),
        ("sql", "ALTER TABLE events SET (autovacuum_vacuum_scale_factor = 0.01);"),
    ),
)


# --- incident reviews ---------------------------------------------------------------------------

INCIDENTS = Domain(
    place="at our company",
    topics=(
        Topic(
            label="blameless reviews",
            tags=("postmortems", "culture"),
            titles=(
                "Keeping a review blameless {x}",
                "Running the review meeting {x}",
                "Follow-up actions that never get done {x}",
            ),
            fills=(
                "when a senior engineer caused it",
                "with a customer on the call",
                "after a data loss",
                "when management wants a name",
            ),
            context=(
                "We had a bad outage last month and the review slid into blame {x}.",
                "I've been asked to facilitate our reviews {x} and want to do it well.",
            ),
            tried=("A written template", "Timeline built before the meeting"),
            advice=(
                "Ask 'how did it make sense at the time?' about every decision in the timeline",
                "Build the timeline asynchronously first; the meeting is for understanding",
                "Follow-ups get an owner and a date in the tracker, or they don't go in the doc",
                "Keep customers out of the review; send them a separate summary",
                "Name systems and conditions, never people",
            ),
        ),
        Topic(
            label="cascading failures",
            tags=("resilience", "incidents"),
            titles=(
                "Retry storm {x}",
                "Cascading failure {x}",
                "Timeouts and retries {x}",
            ),
            fills=(
                "after a cache restart",
                "from a slow dependency",
                "during a deploy",
                "across three services",
            ),
            context=(
                "Review of an outage {x}: one slow service took down the whole checkout path.",
                "We keep seeing the same pattern {x} and I'd like to compare notes.",
            ),
            tried=("Increased timeouts", "Added a circuit breaker library"),
            advice=(
                "Retries with jitter and a budget; never unbounded retries",
                "Timeouts should shrink as you go deeper in the call chain",
                "Load-shed at the edge before the database falls over",
                "Warm the cache before putting it back in the pool",
                "Game-day it: break the dependency on purpose in staging",
            ),
        ),
        Topic(
            label="incident communication",
            tags=("communication", "incident response"),
            titles=(
                "Status page updates {x}",
                "Incident commander role {x}",
                "Talking to executives {x}",
            ),
            fills=(
                "during a long outage",
                "in a small company",
                "when we don't know the cause yet",
                "at 3am",
            ),
            context=(
                "Our last incident was technically handled well but the communication was a mess {x}.",
                "We're defining roles for incidents {x}.",
            ),
            tried=("A shared Slack channel per incident", "Status page templates"),
            advice=(
                "One incident commander who doesn't touch the keyboard",
                "Update the status page every 30 minutes even if nothing changed",
                "Say what you know, what you don't, and when the next update is",
                "A separate channel for executives keeps the working channel quiet",
            ),
        ),
    ),
    discussions=(
        "{label}: how does your organisation handle it?",
        "Which review from this year taught you the most?",
        "Do you share reviews outside engineering?",
    ),
    results=(
        "The follow-up actions were all closed within six weeks, a first for us.",
        "The next incident of this kind lasted 12 minutes instead of four hours.",
        "People started volunteering to write reviews, which says a lot.",
    ),
    lessons=(
        "The timeline is where the learning is.",
        "Decisions made sense at the time; find out why.",
        "Communication is part of the fix.",
    ),
    replies=(
        "Thank you for sharing this so openly.",
        "We had nearly the same failure mode. Retries are always the culprit.",
        "The bit about the incident commander not typing is gold.",
        "Would you be willing to present this at the monthly review call?",
    ),
    code=(
        (
            "python",
            "delay = min(cap, base * 2 ** attempt)\n"
            "time.sleep(random.uniform(0, delay))  # full jitter",
        ),
        (
            "text",
            "14:02  deploy of payments-api 4.12 starts\n"
            "14:06  p99 latency on checkout rises to 9 s\n"
            "14:09  first page (CheckoutErrorBudgetBurn)\n"
            "14:21  deploy rolled back; latency recovers by 14:27",
        ),
    ),
)


# --- research software --------------------------------------------------------------------------

RESEARCH_SOFTWARE = Domain(
    place="in our lab",
    topics=(
        Topic(
            label="testing numerical code",
            tags=("testing", "python"),
            titles=(
                "Testing numerical code {x}",
                "Regression tests {x}",
                "Floating-point comparisons {x}",
            ),
            fills=(
                "when there's no known answer",
                "for a simulation",
                "across platforms",
                "in a legacy Fortran codebase",
            ),
            context=(
                "PhD student maintaining our group's model. I'd like to add tests {x} but don't know "
                "where to start.",
                "Our results changed slightly after a dependency update and nobody noticed for months {x}.",
            ),
            tried=("Comparing output files by hand", "A few assert statements"),
            advice=(
                "Start with a regression test: save today's output and check tomorrow's matches",
                "Use numpy.testing.assert_allclose with explicit tolerances, never ==",
                "Test invariants: conservation laws, symmetries, known limits",
                "Run the tests in CI on every pull request, even if they're slow",
                "Pin your dependencies for the published results",
            ),
        ),
        Topic(
            label="reproducible environments",
            tags=("reproducibility", "packaging"),
            titles=(
                "Reproducible environments {x}",
                "Packaging our analysis {x}",
                "Dependency hell {x}",
            ),
            fills=(
                "for a paper",
                "on the university cluster",
                "with conda and pip mixed",
                "for collaborators on Windows",
            ),
            context=(
                "A reviewer couldn't rerun our analysis {x} and I'm embarrassed.",
                "We share code between five people {x} and every install is different.",
            ),
            tried=("A requirements.txt", "A Docker image nobody updates"),
            advice=(
                "A lock file (uv, pip-tools or conda-lock) committed with the code",
                "Archive the exact version on Zenodo and cite the DOI",
                "Containers are great for the cluster; write down how to rebuild them",
                "A Makefile or a single run script beats instructions in a README",
            ),
        ),
        Topic(
            label="software credit",
            tags=("credit", "careers"),
            titles=(
                "Getting credit for software {x}",
                "Citing software {x}",
                "Research software careers {x}",
            ),
            fills=(
                "in a promotion case",
                "in grant applications",
                "as a postdoc",
                "when the PI doesn't code",
            ),
            context=(
                "I've spent two years building a tool the whole department uses {x}.",
                "Trying to make the case for RSE roles {x}.",
            ),
            tried=("A CITATION.cff file", "Listing the tool on my CV"),
            advice=(
                "Add a CITATION.cff and a DOI so people can cite it properly",
                "Collect usage evidence: downloads, papers that used it, users' quotes",
                "Software papers (JOSS) count in most promotion frameworks now",
                "Connect with your institution's RSE group; you're not alone",
            ),
        ),
    ),
    discussions=(
        "{label}: what do you do in your group?",
        "Code review in research groups: does anyone actually do it?",
        "What should every PhD student learn about software?",
    ),
    results=(
        "The tests caught a sign error in the boundary condition two weeks later.",
        "A collaborator reran the whole analysis from scratch in an afternoon.",
        "The software paper was accepted, and it now counts towards my promotion case.",
    ),
    lessons=(
        "A regression test is better than no test.",
        "If it isn't written down, it isn't reproducible.",
        "Software is research output; treat it like one.",
    ),
    replies=(
        "This is exactly what our group needs to hear.",
        "Thanks for the pointer to assert_allclose, that's new to me.",
        "We did this last year and never looked back.",
        "How do you handle the big data files?",
    ),
    code=(
        (
            "python",
            "import numpy as np\n\n\ndef test_energy_is_conserved():\n"
            "    state = simulate(steps=1_000)\n"
            "    np.testing.assert_allclose(state.energy[-1], state.energy[0], rtol=1e-6)",
        ),
        (
            "bash",
            "uv pip compile requirements.in -o requirements.lock\nuv pip sync requirements.lock",
        ),
        (
            "yaml",
            "cff-version: 1.2.0\ntitle: flowsim\nmessage: If you use this software, please cite it.\n"
            "doi: 10.5281/zenodo.1234567",
        ),
    ),
)


# --- clinical data science ----------------------------------------------------------------------

CLINICAL_DATA = Domain(
    place="in our trust",
    topics=(
        Topic(
            label="data quality",
            tags=("data quality", "ehr"),
            titles=(
                "Missing data {x}",
                "Cleaning coded diagnoses {x}",
                "Duplicate patients {x}",
            ),
            fills=(
                "in routine EHR extracts",
                "across two hospital systems",
                "in primary care records",
                "before a service evaluation",
            ),
            context=(
                "We're evaluating a new pathway {x} and 30% of records lack a discharge date.",
                "Linking two datasets {x} and the numbers don't add up.",
            ),
            tried=("Complete-case analysis", "Asking the data warehouse team"),
            advice=(
                "Describe the missingness before you fix it: by site, by month, by patient group",
                "Talk to the clinicians who enter the data; the reason is usually practical",
                "Multiple imputation if it's plausibly missing at random, and say so",
                "Report how many records you dropped at each step, in a flow diagram",
            ),
        ),
        Topic(
            label="causal questions from routine data",
            tags=("causal inference", "statistics"),
            titles=(
                "Did the new pathway work? {x}",
                "Confounding by indication {x}",
                "Interrupted time series {x}",
            ),
            fills=(
                "with no control group",
                "in a small trust",
                "with a seasonal outcome",
                "when the change rolled out gradually",
            ),
            context=(
                "Managers want to know if the new discharge team reduced length of stay {x}.",
                "I have two years of monthly data {x} and a board meeting in three weeks.",
            ),
            tried=("A before-and-after comparison", "Adjusting for age and sex"),
            advice=(
                "Draw the DAG with the clinicians before touching the data",
                "An interrupted time series with a seasonal term is a good start",
                "Find a comparison group that didn't get the change, even an imperfect one",
                "Report the uncertainty honestly; a wide interval is a result too",
            ),
        ),
        Topic(
            label="presenting results to clinicians",
            tags=("visualisation", "communication"),
            titles=(
                "Presenting results {x}",
                "Dashboards {x}",
                "Explaining uncertainty {x}",
            ),
            fills=(
                "to a busy clinical team",
                "that people actually open",
                "to the board",
                "without p-values",
            ),
            context=(
                "I have ten minutes at the governance meeting {x}.",
                "Our dashboard has 40 charts {x} and nobody uses it.",
            ),
            tried=("Slides with tables", "A Power BI dashboard"),
            advice=(
                "One chart, one message, written as the chart title",
                "Show absolute numbers alongside percentages",
                "Statistical process control charts are familiar to clinicians; use them",
                "Ask what decision the chart is meant to support, then cut everything else",
            ),
        ),
    ),
    discussions=(
        "{label}: what tools and habits work for you?",
        "Information governance: how long do your approvals take?",
        "R or Python in the NHS?",
    ),
    results=(
        "The board approved the pathway for two more wards, based on the time series.",
        "Clinicians started asking for the chart every month, which is the best feedback.",
        "We found the missing dates were a system default, fixed it at source, and rerun everything.",
    ),
    lessons=(
        "Talk to the people who enter the data.",
        "One chart, one message.",
        "Uncertainty is part of the answer.",
    ),
    replies=(
        "Really helpful. The SPC suggestion especially.",
        "We had the same missingness pattern; it was a form default.",
        "Would you share the code?",
        "Our IG approvals take about three months too.",
    ),
    code=(
        (
            "r",
            "fit <- glm(admissions ~ time + after + time_after + harmonic(month, 2, 12),\n"
            "           family = quasipoisson, data = monthly)",
        ),
        (
            "python",
            "missing = df.isna().groupby(df['site']).mean().round(2)\nprint(missing['discharge_date'])",
        ),
        (
            "sql",
            "SELECT site, date_trunc('month', admitted_at) AS month,\n"
            "       avg(discharge_date IS NULL::int) AS missing_share\n"
            "FROM admissions GROUP BY 1, 2 ORDER BY 1, 2;",
        ),
    ),
)


# --- learning from practice (across professions) -------------------------------------------------

REFLECTION = Domain(
    place="at work",
    topics=(
        Topic(
            label="feedback",
            tags=("feedback", "reflection"),
            titles=(
                "Giving feedback {x}",
                "How do you ask for honest feedback {x}?",
                "Feedback that actually changes practice {x}",
            ),
            fills=(
                "to someone more senior",
                "across professions",
                "in a busy shift or sprint",
                "when it's about a mistake",
            ),
            context=(
                "Something I've been reflecting on this week: giving feedback {x} still feels awkward.",
                "Our team wants to get better at feedback {x}.",
            ),
            tried=("The 'ask, tell, ask' structure", "A monthly retrospective"),
            advice=(
                "Be specific about the behaviour and its effect, not the person",
                "Ask first what they noticed themselves",
                "Do it soon; feedback two weeks later is history",
                "Say thank you for feedback you receive, even when it stings",
                "In nursing we call it a debrief, in software a retro; the shape is the same",
            ),
        ),
        Topic(
            label="handovers",
            tags=("handover", "safety"),
            titles=(
                "What makes a good handover {x}?",
                "Handover tools {x}",
                "Things lost at handover {x}",
            ),
            fills=(
                "between shifts",
                "between teachers mid-year",
                "on call",
                "when someone leaves the team",
            ),
            context=(
                "A small thing went wrong this week because of a handover {x}. Nobody was at fault.",
                "I'm curious how other professions handle handovers {x}.",
            ),
            tried=("A checklist", "Face-to-face handover"),
            advice=(
                "SBAR works outside healthcare too: situation, background, assessment, recommendation",
                "Handover the worries, not only the tasks",
                "Written and spoken together catch the most",
                "Give the receiver a chance to read back what they heard",
            ),
        ),
        Topic(
            label="learning from mistakes",
            tags=("reflection", "culture"),
            titles=(
                "Talking about mistakes {x}",
                "A near miss {x}",
                "Just culture {x}",
            ),
            fills=(
                "with new staff",
                "without blame",
                "in a small team",
                "when the consequences were serious",
            ),
            context=(
                "We had a near miss last week and I keep thinking about how we talk about it {x}.",
                "I'd like our team to talk about mistakes more openly {x}.",
            ),
            tried=("A monthly learning meeting", "Anonymous reporting"),
            advice=(
                "Leaders going first, sharing their own mistakes, changed it for us",
                "Look at the system: what made the mistake easy to make?",
                "Thank people for reporting; it's the only way you'll hear the next one",
                "Software blameless postmortems and clinical incident reviews have a lot to teach each other",
            ),
        ),
    ),
    discussions=(
        "What did you learn at work this week?",
        "{label}: what can other professions teach us?",
        "One habit that made you better at your job",
        "How do you make time for reflection?",
        "Introduce yourself: what's your practice?",
    ),
    results=(
        "A month on, the team runs the same short debrief after every hard day.",
        "It turned out the mistake had happened four times before; nobody had said.",
        "Three people from other professions replied with ideas I'd never have thought of.",
    ),
    lessons=(
        "Other professions have solved our problems already, under different names.",
        "Reflection needs a time and a place, or it doesn't happen.",
        "Kindness and candour go together.",
    ),
    replies=(
        "Teacher here, and this is exactly what happens in schools too.",
        "Nurse here. We call it a hot debrief, and it's the same idea.",
        "In software we'd call this a retro. Love seeing the parallels.",
        "Thank you for this. I'm going to try it with my team.",
        "This made me think about my own practice differently.",
    ),
)


DOMAINS = {
    "learning-from-practice": REFLECTION,
    "wound-care-nurses": WOUND,
    "site-reliability-engineers": SRE,
    "research-software": RESEARCH_SOFTWARE,
    "secondary-physics-teachers": PHYSICS,
    "early-career-teachers": EARLY_CAREER,
    "clinical-data-science": CLINICAL_DATA,
    "palliative-care-circle": PALLIATIVE,
    "incident-review-guild": INCIDENTS,
    "school-leaders-forum": LEADERS,
}
# The cross-profession community also borrows every other community's topics.
BORROWED_BY_REFLECTION = (WOUND, PHYSICS, EARLY_CAREER, SRE, RESEARCH_SOFTWARE, PALLIATIVE)
