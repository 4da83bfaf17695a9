package scrittabot.memory;

import java.util.List;

/**
 * Fifty facts a person tells the bot, each asked about later with other words, and the word that
 * must be in the prompt for the bot to answer. Written for the recall benchmark.
 */
final class PlantedFacts {
  record Fact(String told, String asked, String answer) {}

  private PlantedFacts() {}

  static final List<Fact> ALL = List.of(
      new Fact("My sister Helga works as a nurse in Tampere.", "What does my sister do for a living?", "nurse"),
      new Fact("Our dog is a grey whippet called Pasta.", "What is the name of our dog?", "Pasta"),
      new Fact("I am allergic to hazelnuts, so no Nutella for me.", "Which nuts can I not eat?", "hazelnuts"),
      new Fact("My flight to Lisbon leaves on the ninth of May.", "When do I fly to Portugal?", "ninth of May"),
      new Fact("The wifi password at the cottage is tupakka77.", "How do I get online at the summer place?", "tupakka77"),
      new Fact("My favourite composer has always been Sibelius.", "Whose music do I like most?", "Sibelius"),
      new Fact("I keep the spare house key under the blue flowerpot.", "Where can I find the extra key to the house?", "flowerpot"),
      new Fact("My grandfather was born in Viipuri in 1931.", "Where did my grandpa come from?", "Viipuri"),
      new Fact("I drive an old red Volvo 240 estate.", "What car do I have?", "Volvo"),
      new Fact("My daughter Aino turns seven in October.", "How old will my girl be this autumn?", "seven"),
      new Fact("The plumber's name is Reijo and he charges sixty euros an hour.", "How much does the pipe repair man cost?", "sixty euros"),
      new Fact("I run the Helsinki half marathon every August.", "Which race do I do each summer?", "half marathon"),
      new Fact("My blood type is O negative.", "What blood group am I?", "O negative"),
      new Fact("We planted three apple trees behind the sauna.", "What fruit trees are growing in our yard?", "apple"),
      new Fact("My boss at the bank is called Marjatta.", "Who is my manager at work?", "Marjatta"),
      new Fact("I take the 7:40 train to work from Kerava.", "At what time does my morning commute train leave?", "7:40"),
      new Fact("My cat Miso only eats salmon pate.", "What food does my cat like?", "salmon"),
      new Fact("I studied marine biology at the University of Turku.", "What was my subject at university?", "marine biology"),
      new Fact("My wedding anniversary is on the twelfth of June.", "When did I get married?", "twelfth of June"),
      new Fact("The book club meets on the first Thursday of each month.", "When are the reading group evenings?", "first Thursday"),
      new Fact("My son plays the cello in the youth orchestra.", "Which instrument does my boy play?", "cello"),
      new Fact("I paid 340 euros for the new bicycle.", "What did my bike cost?", "340"),
      new Fact("My neighbour Pirkko waters the plants when we travel.", "Who looks after the flowers while we are away?", "Pirkko"),
      new Fact("Our summer cottage is on the shore of lake Päijänne.", "By which lake is our holiday cabin?", "Päijänne"),
      new Fact("I am learning Japanese with an app called Kanjiko.", "Which language am I studying?", "Japanese"),
      new Fact("My dentist appointment is on Tuesday at half past two.", "When must I see the tooth doctor?", "half past two"),
      new Fact("The kids' school is called Metsola primary.", "What is the name of the children's school?", "Metsola"),
      new Fact("I collect old Moomin mugs, I have forty-two of them.", "How many Moomin cups do I own?", "forty-two"),
      new Fact("My mother's maiden name is Lindqvist.", "What was mum's surname before she married?", "Lindqvist"),
      new Fact("My laptop is a ThinkPad X1 bought in 2023.", "What computer do I use?", "ThinkPad"),
      new Fact("I can not stand coriander, it tastes like soap to me.", "Which herb do I dislike?", "coriander"),
      new Fact("My brother Jussi lives in Montreal with his wife.", "In which city is my brother living?", "Montreal"),
      new Fact("The gym locker code is 4412.", "What numbers open my locker at the fitness centre?", "4412"),
      new Fact("My first pet was a hamster named Kiki.", "What animal did I have as my very first pet?", "hamster"),
      new Fact("I want to repaint the kitchen walls pale green.", "Which colour will the kitchen get?", "green"),
      new Fact("Our car insurance is with Fennia and renews in March.", "Which company insures the car?", "Fennia"),
      new Fact("My best friend from school is called Outi.", "Who is my oldest friend?", "Outi"),
      new Fact("I sing bass in a male voice choir.", "What voice part do I sing?", "bass"),
      new Fact("The sourdough starter needs feeding every Sunday.", "How often must I feed the bread culture?", "Sunday"),
      new Fact("My shoe size is 44.", "What size shoes do I wear?", "44"),
      new Fact("My father repairs clocks as a hobby.", "What does dad do in his free time?", "clocks"),
      new Fact("We are saving for a trip to Iceland next winter.", "Where do we want to travel next winter?", "Iceland"),
      new Fact("I broke my left wrist skiing in 2019.", "Which bone did I break and how?", "wrist"),
      new Fact("The printer upstairs uses HP 305 cartridges.", "What ink does our printer need?", "305"),
      new Fact("My aunt Sirkka makes the best karelian pies.", "Who bakes the pies I love?", "Sirkka"),
      new Fact("I meditate for twenty minutes before breakfast.", "How long is my morning meditation?", "twenty minutes"),
      new Fact("Our building's sauna turn is Wednesday at eight.", "When can we use the sauna in our block?", "Wednesday"),
      new Fact("My favourite board game is Carcassonne.", "Which board game do I enjoy most?", "Carcassonne"),
      new Fact("The electricity contract is fixed at 8.2 cents per kWh.", "What price do we pay for power?", "8.2 cents"),
      new Fact("I was a chess club champion in 2011.", "Which game did I win a title in?", "chess"));
}
