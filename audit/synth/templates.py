"""Caption templates for :mod:`audit.synth.corpus`: everyday posts, PII posts, age cues, hard negatives.

A template is text with ``{FIELD}`` slots. Upper-case slots are labelled entities (the span
covers exactly the filled value); lower-case slots are unlabelled filler. The slot tables
live in :mod:`audit.synth.corpus` so that this module stays pure data.
"""

from __future__ import annotations

#: Everyday posts with nothing to label (hashtags and emoji but no PII, no age cue).
PLAIN = (
    "Sunday morning {food} and a long walk by the river {emoji} {tag}",
    "Finally finished the puzzle. 1000 pieces, three evenings, zero regrets {emoji}",
    "The light this evening was unreal {emoji} no filter needed {tag} {tag}",
    "Tried a new recipe tonight: {food}. Would make again, maybe with more garlic.",
    "Rainy day, good book, warm tea. That's the whole plan {emoji}",
    "New plant baby joined the shelf {emoji} any tips for keeping it alive? {tag}",
    "Band practice ran late again but we nailed the bridge of the new song {emoji}",
    "Can't believe how fast this week went. Weekend, please be kind {emoji}",
    "Repainted the old bike, it looks brand new now {emoji} {tag}",
    "Farmers market haul: {food}, peaches and way too many flowers {emoji}",
    "Sketchbook page of the day {emoji} still learning hands, they are hard {tag}",
    "Morning run done before the heat kicked in. Legs say no, brain says yes {emoji}",
    "Our dog discovered the sprinkler and now she is a different dog {emoji} {tag}",
    "Sunset from the ferry on the way home {emoji} {tag}",
    "Homemade {food} for the whole street party, nothing left after an hour {emoji}",
    "Cleaned the whole garage and found my old skateboard {emoji} {tag}",
)

#: Posts with one labelled entity or more.
PII = (
    "Happy birthday to my best friend {PERSON}! {emoji} so lucky to know you {tag}",
    "Congrats to {PERSON} on the new job, you earned it {emoji}",
    "Lost my wallet near the station. If found please email me at {EMAIL_ADDRESS} {emoji}",
    "Selling my old camera, DM me or call {PHONE_NUMBER} after 6pm {emoji}",
    "Garage sale this weekend at {STREET_ADDRESS}, everything must go! {tag}",
    "New place, who dis {emoji} mail goes to {STREET_ADDRESS} from now on",
    "Greetings from {LOCATION}! The food here is incredible {emoji} {tag}",
    "Just landed in {LOCATION}, anyone up for coffee tomorrow? {emoji}",
    "oops wrong chat, the card is {CREDIT_CARD} exp 09/27 pls pay the deposit",
    "Rent for {PERSON} goes to IBAN {IBAN_CODE}, thanks everyone {emoji}",
    "Can someone help with my form? it keeps rejecting SSN {US_SSN} {emoji}",
    "My server at {IP_ADDRESS} keeps dropping connections, any ideas? {tag}",
    "New blog post is up: {URL} {emoji} {tag}",
    "Our little one was born {DATE_TIME} and now look at her {emoji}",
    "Shoutout to {SOCIAL_HANDLE} for the amazing photos {emoji} {tag}",
    "{PERSON} and I finally met up in {LOCATION} after 10 years {emoji}",
    "Reach {PERSON} at {EMAIL_ADDRESS} or {PHONE_NUMBER} for bookings {tag}",
    "Follow {SOCIAL_HANDLE} and {SOCIAL_HANDLE} for more of this {emoji}",
    "Party at {STREET_ADDRESS} saturday, text {PHONE_NUMBER} if you get lost",
    "Registered the twins today, both born {DATE_TIME} {emoji} {tag}",
    "Ordering from {URL} was a mistake, still waiting {emoji}",
    "Hey {SOCIAL_HANDLE} your package went to {STREET_ADDRESS} by mistake {emoji}",
)

#: Posts revealing that a minor is involved; the AGE_CUE slot is the cue phrase itself.
AGE = (
    "My {AGE_CUE_YO} drew this for me today {emoji}",
    "{AGE_CUE_IM} and just got my first camera!! {emoji} {tag}",
    "First day in {AGE_CUE_GRADE} and I already have homework {emoji}",
    "Beach day with the little ones {emoji} {AGE_CUE_TAG}",
    "{AGE_CUE_IM} and my parents still won't let me dye my hair {emoji}",
    "Proud of my {AGE_CUE_YO} daughter, she won the science fair {emoji} {tag}",
    "Back to school selfie, {AGE_CUE_GRADE} here we go {emoji}",
    "{AGE_CUE_TURN} next week, party at the rink {emoji} {tag}",
)

#: Look-alikes of PII and age cues that must not be labelled.
NEGATIVE = (
    "I've been coding for 15 years and I still google how to center a div {emoji}",
    "Our 15 year anniversary dinner was perfect {emoji} {tag}",
    "Grade A beef, slow cooked for 12 hours. Worth every minute {emoji}",
    "Top 10 tips for better sleep, number 7 changed my life {emoji}",
    "Updated to v2.14.3 and everything broke again {emoji} {tag}",
    "Only $15.99 for the whole box, what a deal {emoji}",
    "The corner shop is open 24/7 now, dangerous for my snack habit {emoji}",
    "Ran 12 miles today, 13 next week {emoji} {tag}",
    "Size 14 shoes are impossible to find {emoji}",
    "Score was 21-14 at half time, what a game {emoji} {tag}",
    "This wine is from 2009 and tastes like it {emoji}",
    "Just hit 1,000 followers, thank you all {emoji} {tag}",
    "My grandma turned 90 and still beats us all at cards {emoji}",
    "Build 8.0.1 fixed the crash, release notes are long {emoji}",
    "Room 214, third floor, best view in the hotel {emoji} {tag}",
    "Page 13 of 200 and I already love this book {emoji}",
)

FOODS = ("pancakes", "ramen", "banana bread", "shakshuka", "tacos", "jollof rice", "dumplings",
         "lemon tart", "pho", "focaccia", "paella", "sourdough")  # fmt: skip
EMOJI = ("✨", "🌿", "☕", "🎉", "😅", "❤️", "🙌", "🌅", "📸", "🐶", "🍂", "😂", "🔥", "🥹")  # fmt: skip
TAGS = ("#weekend", "#photography", "#nofilter", "#homemade", "#goodvibes", "#travel",
        "#instafood", "#sunset", "#mondaymotivation", "#tbt", "#dogsofinstagram")  # fmt: skip
KID_TAGS = ("#kidsofinstagram", "#teenlife", "#middleschool", "#7thgrade")  # fmt: skip
GRADES = ("6th grade", "7th grade", "8th grade", "9th grade", "year 8", "middle school")  # fmt: skip
FILLERS = (
    " Anyway, back to work {emoji}",
    " What a week.",
    " Thanks for reading!",
    " More soon {emoji}",
    " Who else is out there today?",
    " Honestly the best part of the week, and I needed it after the last few days {emoji}",
    " Not sure why I am posting this at midnight but here we are, sleep is overrated {emoji}",
    " Saving this here so I remember it when things get busy again {emoji} {tag}",
)
